"""PyTorch-style names for the layers of a network.

A labelled step is a submodule of that name; an unlabelled step is numbered by
its position in its chain, as `nn.Sequential` numbers; `for` and `if` splice
their steps into the chain around them (so `for` repetitions continue the
numbering, as a Sequential built from a list does). Labels go to the nearest
block, group or labelled combinator; unlabelled branch steps of a combinator
at position k are numbered `k.<branch>.<step>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Namer:
    labels: str  # prefix for labelled steps, e.g. "layer1.0."
    positions: str  # prefix for numbered steps
    counter: list[int] = field(default_factory=lambda: [0])

    def take(self, label: str | None) -> str:
        index = self.counter[0]
        self.counter[0] += 1
        return self.labels + label if label is not None else self.positions + str(index)

    @staticmethod
    def inside(path: str) -> "Namer":
        prefix = path + "." if path else ""
        return Namer(prefix, prefix)

    def for_statement(self, target: str) -> "Namer":
        """Unlabelled steps of `target = ...` are numbered under `target.`."""
        return Namer(self.labels, f"{self.labels}{target}.")

    def for_branch(self, join: str, labelled: bool, branch: int) -> "Namer":
        labels = join + "." if labelled else self.labels
        return Namer(labels, f"{join}.{branch}.")


# Attributes of torch.nn.Module, ModuleDict and ModuleList (torch 2.6-2.13; tests check the
# installed torch adds none): a layer of one of these names would shadow, or be shadowed by,
# the module's own attribute, so it cannot be a submodule and a state_dict key.
MODULE_ATTRIBUTES = frozenset("""
T_destination _apply _backward_hooks _backward_pre_hooks _buffers _call_impl _compiled_call_impl _forward_hooks
_forward_hooks_always_called _forward_hooks_with_kwargs _forward_pre_hooks _forward_pre_hooks_with_kwargs
_get_abs_string_index _get_backward_hooks _get_backward_pre_hooks _get_name _is_full_backward_hook
_load_from_state_dict _load_state_dict_post_hooks _load_state_dict_pre_hooks _maybe_warn_non_full_backward_hook
_modules _named_members _non_persistent_buffers_set _parameters _register_load_state_dict_pre_hook
_register_state_dict_hook _replicate_for_data_parallel _save_to_state_dict _slow_forward _state_dict_hooks
_state_dict_pre_hooks _version _wrapped_call_impl add_module append apply bfloat16 buffers call_super_init children
clear compile cpu cuda double dump_patches eval extend extra_repr float forward get_buffer get_extra_state
get_parameter get_submodule half insert ipu items keys load_state_dict modules mtia named_buffers named_children
named_modules named_parameters parameters pop register_backward_hook register_buffer register_forward_hook
register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook
register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module register_parameter
register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule
share_memory state_dict to to_empty train training type update values xpu zero_grad
""".split())


class LayerNames:
    """The layer names of one network, checked as they are given: each must be usable as a
    PyTorch submodule path and state_dict key. A layer that is a module (it has weights or
    buffers) holds no layers, and no part of a name may be an attribute of nn.Module.
    O(depth) per name."""

    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.parents: set[str] = set()

    def claim(self, name: str, kind: str) -> str | None:
        """Record `name`, of kind "module", "layer" (stateless) or "group"; the problem with it, if any."""
        parts = name.split(".")
        reserved = next((p for p in parts if p in MODULE_ATTRIBUTES or (p.startswith("__") and p.endswith("__"))),
                        None)
        if reserved is not None:
            return f"a layer cannot be named `{reserved}`: PyTorch's nn.Module has an attribute of that name"
        prefixes = [".".join(parts[:i]) for i in range(1, len(parts))]
        holder = next((p for p in prefixes if p in self.modules), None)
        if holder is not None:
            return f"`{holder}` is one PyTorch module, so `{name}` cannot be a layer inside it"
        if kind == "module" and name in self.parents:
            return f"`{name}` already holds layers (as `{name}.…`), so it cannot also name one PyTorch module"
        if kind == "module":
            self.modules.add(name)
        self.parents.update(prefixes)
        return None
