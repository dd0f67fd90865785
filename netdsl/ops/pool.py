"""Pooling: windowed max/average (floor or ceil rounding, as PyTorch), adaptive and global."""

from __future__ import annotations

from netdsl.ops.base import Op, Param, ShapeError, Window, fmt_pair, need_image, numel, window_size


def _resolve(a: dict) -> dict:
    return a if a["stride"] is not None else {**a, "stride": a["kernel"]}


def _window_shape(op: str):
    def shape(ins, a, names):
        need_image(op, ins[0])
        c, h, w = ins[0]
        (kh, kw), (sh, sw), (ph, pw) = a["kernel"], a["stride"], a["pad"]
        if ph * 2 > kh or pw * 2 > kw:
            raise ShapeError(f"{op}: pad {fmt_pair(a['pad'])} is more than half the kernel {fmt_pair(a['kernel'])}")
        dh, dw = a.get("dilation", (1, 1))
        return (c, window_size(op, h, kh, sh, ph, dh, a["ceil"], "height"),
                window_size(op, w, kw, sw, pw, dw, a["ceil"], "width"))
    return shape


def _window_work(ins, out, a):
    kh, kw = a["kernel"]
    return numel(out) * kh * kw


def _describe(a):
    (kh, kw), stride = a["kernel"], a["stride"]
    text = f"{kh}×{kw}" + (f"/{fmt_pair(stride)}" if stride != (1, 1) else "")
    return text + (", ceil" if a["ceil"] else "")


_WINDOW_PARAMS = (Param("kernel", "pair", minimum=1), Param("stride", "pair", None, minimum=1),
                  Param("pad", "pair", 0, minimum=0))

MAXPOOL = Op(
    "maxpool", "max pooling: maxpool(kernel, stride=kernel, pad=0, dilation=1, ceil=false)",
    params=_WINDOW_PARAMS + (Param("dilation", "pair", 1, minimum=1), Param("ceil", "bool", False)),
    shape=_window_shape("maxpool"), flops=_window_work, resolve=_resolve,
    window=lambda a: Window(a["kernel"], a["stride"], a["dilation"]), describe=_describe,
)

AVGPOOL = Op(
    "avgpool", "average pooling: avgpool(kernel, stride=kernel, pad=0, ceil=false, count_pad=true)",
    params=_WINDOW_PARAMS + (Param("ceil", "bool", False), Param("count_pad", "bool", True)),
    shape=_window_shape("avgpool"), flops=_window_work, resolve=_resolve,
    window=lambda a: Window(a["kernel"], a["stride"]), describe=_describe,
)


def _adaptive_shape(ins, a, names):
    need_image("adaptive_avgpool", ins[0])
    return (ins[0][0], *a["size"])


ADAPTIVE_AVGPOOL = Op(
    "adaptive_avgpool", "average pooling to a fixed output size: adaptive_avgpool(size)",
    params=(Param("size", "pair", minimum=1),),
    shape=_adaptive_shape, flops=lambda ins, out, a: numel(ins[0]),
    window=lambda a: "global", describe=lambda a: fmt_pair(a["size"]),
)


def _global(op: str):
    def shape(ins, a, names):
        need_image(op, ins[0])
        return (ins[0][0], 1, 1)
    return shape


GLOBAL_AVGPOOL = Op(
    "global_avgpool", "average over all positions: C×H×W → C×1×1",
    shape=_global("global_avgpool"), flops=lambda ins, out, a: numel(ins[0]), window=lambda a: "global",
)

GLOBAL_MAXPOOL = Op(
    "global_maxpool", "maximum over all positions: C×H×W → C×1×1",
    shape=_global("global_maxpool"), flops=lambda ins, out, a: numel(ins[0]), window=lambda a: "global",
)


