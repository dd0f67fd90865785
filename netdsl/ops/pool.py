"""Pooling over every spatial axis: windowed max/average (floor or ceil rounding, as
PyTorch), adaptive and global; 1-D, 2-D or 3-D by the input's layout."""

from __future__ import annotations

from netdsl.ops.base import (ADAPTIVE, GLOBAL, Op, Param, ShapeError, Site, Window, fmt_pair, need_spatial, numel,
                             windowed)


def _resolve(a: dict) -> dict:
    return a if a["stride"] is not None else {**a, "stride": a["kernel"]}


def _window_shape(op: str):
    def shape(s: Site):
        need_spatial(op, s)
        if any(p * 2 > k for p, k in zip(s["pad"], s["kernel"])):
            raise ShapeError(f"{op}: pad {fmt_pair(s['pad'])} is more than half the kernel {fmt_pair(s['kernel'])}")
        return (s.x[0], *windowed(op, s, s["ceil"]))
    return shape


def _window_work(s: Site):
    return numel(s.out) * numel(s["kernel"])


def _describe(s: Site):
    kernel, stride = s["kernel"], s["stride"]
    text = "×".join(map(str, kernel)) + (f"/{fmt_pair(stride)}" if set(stride) != {1} else "")
    return text + (", ceil" if s["ceil"] else "")


def py(value: tuple[int, ...]) -> str:
    """A per-axis value as PyTorch source: 3 for (3, 3)."""
    return str(value[0]) if len(set(value)) == 1 else str(tuple(value))


def _max_torch(s: Site):
    extra = ""
    dilated = set(s["dilation"]) != {1}
    if set(s["pad"]) != {0} or dilated:
        extra += f", {py(s['pad'])}"
    if dilated:
        extra += f", {py(s['dilation'])}"
    ceil = ", ceil_mode=True" if s["ceil"] else ""
    return f"F.max_pool{s.spatial}d({s.names[0]}, {py(s['kernel'])}, {py(s['stride'])}{extra}{ceil})"


def _avg_torch(s: Site):
    extra = f", {py(s['pad'])}" if set(s["pad"]) != {0} else ""
    extra += ", ceil_mode=True" if s["ceil"] else ""
    extra += ", count_include_pad=False" if not s["count_pad"] else ""
    return f"F.avg_pool{s.spatial}d({s.names[0]}, {py(s['kernel'])}, {py(s['stride'])}{extra})"


def _window_attrs(s: Site) -> dict:
    return {"kernel_shape": list(s["kernel"]), "strides": list(s["stride"]), "pads": list(s["pad"]) * 2,
            "ceil_mode": int(s["ceil"])}


def _onnx_ceil_sizes(s: Site) -> tuple[int, ...]:
    """ONNX's ceil-mode output sizes, which keep a last window that starts in the padding
    (PyTorch drops it: `window_size`)."""
    dilation = s.args.get("dilation") or (1,) * len(s["kernel"])
    return tuple(-(-(n + 2 * p - d * (k - 1) - 1) // st) + 1
                 for n, k, st, p, d in zip(s.x[1:], s["kernel"], s["stride"], s["pad"], dilation))


def _window_onnx(g, s: Site, op_type: str, **attrs) -> None:
    """The pool, cut back to PyTorch's size where ONNX's ceil mode gives one window more."""
    sizes = tuple(s.out[1:])
    if not s["ceil"] or _onnx_ceil_sizes(s) == sizes:
        g.op(op_type, list(s.names), g.out, **attrs, **_window_attrs(s))
        return
    pooled = g.op(op_type, list(s.names), **attrs, **_window_attrs(s))
    axes = list(range(2, 2 + len(sizes)))
    g.op("Slice", [pooled, g.const([0] * len(sizes), "int64"), g.const(list(sizes), "int64"),
                   g.const(axes, "int64")], g.out)


def _max_onnx(g, s: Site):
    _window_onnx(g, s, "MaxPool", dilations=list(s["dilation"]))


def _avg_onnx(g, s: Site):
    _window_onnx(g, s, "AveragePool", count_include_pad=int(s["count_pad"]))


_WINDOW_PARAMS = (Param("kernel", "spatial", minimum=1), Param("stride", "spatial", None, minimum=1),
                  Param("pad", "spatial", 0, minimum=0))

MAXPOOL = Op(
    "maxpool", "max pooling: maxpool(kernel, stride=kernel, pad=0, dilation=1, ceil=false)",
    params=_WINDOW_PARAMS + (Param("dilation", "spatial", 1, minimum=1), Param("ceil", "bool", False)),
    shape=_window_shape("maxpool"), flops=_window_work, resolve=_resolve,
    window=lambda s: Window(s["kernel"], s["stride"], s["dilation"]), describe=_describe,
    torch_call=_max_torch, onnx=_max_onnx,
)

AVGPOOL = Op(
    "avgpool", "average pooling: avgpool(kernel, stride=kernel, pad=0, ceil=false, count_pad=true)",
    params=_WINDOW_PARAMS + (Param("ceil", "bool", False), Param("count_pad", "bool", True)),
    shape=_window_shape("avgpool"), flops=_window_work, resolve=_resolve,
    window=lambda s: Window(s["kernel"], s["stride"]), describe=_describe,
    torch_call=_avg_torch, onnx=_avg_onnx,
)


def _adaptive_shape(s: Site):
    need_spatial("adaptive_avgpool", s)
    return (s.x[0], *s["size"])


def adaptive_bins(n: int, o: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive bins along one axis: [⌊i·n/o⌋, ⌈(i+1)·n/o⌉)."""
    return [(i * n // o, -(-(i + 1) * n // o)) for i in range(o)]


def _adaptive_onnx(g, s: Site):
    """ONNX has no adaptive pooling: one AveragePool where the bins are equal, else the
    bins averaged axis by axis."""
    sizes, outs = s.x[1:], s["size"]
    if all(n % o == 0 for n, o in zip(sizes, outs)):
        kernel = [n // o for n, o in zip(sizes, outs)]
        g.op("AveragePool", list(s.names), g.out, kernel_shape=kernel, strides=kernel)
        return
    x = s.names[0]
    for axis, (n, o) in enumerate(zip(sizes, outs), 2):
        x = _adaptive_axis(g, x, axis, n, o, g.out if axis == len(sizes) + 1 else None)


def _adaptive_axis(g, x: str, axis: int, n: int, o: int, output: str | None = None) -> str:
    bins = []
    for start, end in adaptive_bins(n, o):
        piece = g.op("Slice", [x, g.const([start], "int64"), g.const([end], "int64"), g.const([axis], "int64")])
        bins.append(g.reduce_mean(piece, [axis]))
    return g.op("Concat", bins, output, axis=axis)


ADAPTIVE_AVGPOOL = Op(
    "adaptive_avgpool", "average pooling to a fixed output size: adaptive_avgpool(size)",
    params=(Param("size", "spatial", minimum=1),),
    shape=_adaptive_shape, flops=lambda s: numel(s.x), window=lambda s: ADAPTIVE,
    describe=lambda s: fmt_pair(s["size"]),
    torch_call=lambda s: f"F.adaptive_avg_pool{s.spatial}d({s.names[0]}, {py(s['size'])})", onnx=_adaptive_onnx,
)


def _global(op: str):
    def shape(s: Site):
        need_spatial(op, s)
        return (s.x[0],) + (1,) * s.spatial
    return shape


GLOBAL_AVGPOOL = Op(
    "global_avgpool", "average over all positions: C×H×W → C×1×1 (C×L → C×1, …)",
    shape=_global("global_avgpool"), flops=lambda s: numel(s.x), window=lambda s: GLOBAL,
    torch_call=lambda s: f"F.adaptive_avg_pool{s.spatial}d({s.names[0]}, 1)",
    onnx=lambda g, s: g.op("GlobalAveragePool", list(s.names), g.out),
)

GLOBAL_MAXPOOL = Op(
    "global_maxpool", "maximum over all positions: C×H×W → C×1×1 (C×L → C×1, …)",
    shape=_global("global_maxpool"), flops=lambda s: numel(s.x), window=lambda s: GLOBAL,
    torch_call=lambda s: f"F.adaptive_max_pool{s.spatial}d({s.names[0]}, 1)",
    onnx=lambda g, s: g.op("GlobalMaxPool", list(s.names), g.out),
)
