"""param: a learnable tensor, a layer of its own with no input, usable wherever a tensor is
(layer scale `mul(param([c, 1, 1], 1e-6))`, a position embedding `add(param([197, 768], std=0.02, batch=true))`).

Its state_dict key is the layer's name itself (`features.1.0.layer_scale`), as an
nn.Parameter attribute of the block that holds it; `batch=true` stores a leading axis of 1
(torchvision's `class_token` (1, 1, 768), `pos_embedding` (1, 197, 768)). It has no input, so no
receptive field, and costs nothing but its parameters."""

from __future__ import annotations

from netdsl.ops.base import Ctor, Op, Param, ShapeError, Site, fmt_shape
from netdsl.ops.layout import MAX_RANK, default_axes


class EmptyTensor(tuple):
    """A shape that the code generator writes as `torch.empty(…)` (the state is loaded after)."""

    def __repr__(self) -> str:
        return f"torch.empty({', '.join(str(int(d)) for d in self)})"


def _shape(s: Site):
    shape = s["shape"]
    if not 1 <= len(shape) <= MAX_RANK or min(shape) < 1:
        raise ShapeError(f"param: a shape is 1 to {MAX_RANK} positive sizes, not {list(shape)}")
    if s["axes"] is not None and len(s["axes"]) != len(shape):
        raise ShapeError(f"param: {len(s['axes'])} axis names for {len(shape)} sizes")
    return tuple(shape)


def _stored(s: Site) -> tuple[int, ...]:
    return (1, *s.out) if s["batch"] else tuple(s.out)


def _init(site: Site, key: str, shapes: dict, rng):
    """`init` everywhere, plus N(0, std²) noise when std > 0."""
    import numpy as np

    values = np.full(shapes[key], site["init"], np.float32)
    if site["std"]:
        values += rng.standard_normal(shapes[key], dtype=np.float32) * np.float32(site["std"])
    return values


def _describe(s: Site) -> str:
    text = fmt_shape(s.out) + (f", {s['init']:g}" if s["init"] else "")
    return text + (f" ± {s['std']:g}" if s["std"] else "")


PARAM = Op(
    "param", "a learnable tensor: param(shape, init=0, std=0, batch=false, axes=none); filled with init, plus"
             " N(0, std²) noise",
    params=(Param("shape", "shape"), Param("init", "float", 0.0), Param("std", "float", 0.0, minimum=0),
            Param("batch", "bool", False), Param("axes", "axes", None)),
    inputs=0, shape=_shape, axes=lambda s: tuple(s["axes"]) if s["axes"] else default_axes(len(s.out)),
    weights=lambda s: {"": _stored(s)}, describe=_describe, init=_init,
    torch_module=lambda s: Ctor("nn.Parameter", (("data", EmptyTensor(_stored(s))),)),
    torch_apply=lambda s, module: module,
    onnx=lambda g, s: g.weight(""),
)
