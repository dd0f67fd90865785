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


def _py(value: tuple[int, int]) -> str:
    """A pair as PyTorch source: 3 for (3, 3)."""
    return str(value[0]) if value[0] == value[1] else str(tuple(value))


def _max_torch(xs, a):
    extra = ""
    if a["pad"] != (0, 0) or a["dilation"] != (1, 1):
        extra += f", {_py(a['pad'])}"
    if a["dilation"] != (1, 1):
        extra += f", {_py(a['dilation'])}"
    ceil = ", ceil_mode=True" if a["ceil"] else ""
    return f"F.max_pool2d({xs[0]}, {_py(a['kernel'])}, {_py(a['stride'])}{extra}{ceil})"


def _avg_torch(xs, a):
    extra = f", {_py(a['pad'])}" if a["pad"] != (0, 0) else ""
    extra += ", ceil_mode=True" if a["ceil"] else ""
    extra += ", count_include_pad=False" if not a["count_pad"] else ""
    return f"F.avg_pool2d({xs[0]}, {_py(a['kernel'])}, {_py(a['stride'])}{extra})"


def _window_attrs(a: dict) -> dict:
    (ph, pw) = a["pad"]
    return {"kernel_shape": list(a["kernel"]), "strides": list(a["stride"]), "pads": [ph, pw, ph, pw],
            "ceil_mode": int(a["ceil"])}


def _max_onnx(g, xs, a, ins, out):
    g.op("MaxPool", xs, g.out, dilations=list(a["dilation"]), **_window_attrs(a))


def _avg_onnx(g, xs, a, ins, out):
    g.op("AveragePool", xs, g.out, count_include_pad=int(a["count_pad"]), **_window_attrs(a))


_WINDOW_PARAMS = (Param("kernel", "pair", minimum=1), Param("stride", "pair", None, minimum=1),
                  Param("pad", "pair", 0, minimum=0))

MAXPOOL = Op(
    "maxpool", "max pooling: maxpool(kernel, stride=kernel, pad=0, dilation=1, ceil=false)",
    params=_WINDOW_PARAMS + (Param("dilation", "pair", 1, minimum=1), Param("ceil", "bool", False)),
    shape=_window_shape("maxpool"), flops=_window_work, resolve=_resolve,
    window=lambda a: Window(a["kernel"], a["stride"], a["dilation"]), describe=_describe,
    torch_call=_max_torch, onnx=_max_onnx,
)

AVGPOOL = Op(
    "avgpool", "average pooling: avgpool(kernel, stride=kernel, pad=0, ceil=false, count_pad=true)",
    params=_WINDOW_PARAMS + (Param("ceil", "bool", False), Param("count_pad", "bool", True)),
    shape=_window_shape("avgpool"), flops=_window_work, resolve=_resolve,
    window=lambda a: Window(a["kernel"], a["stride"]), describe=_describe,
    torch_call=_avg_torch, onnx=_avg_onnx,
)


def _adaptive_shape(ins, a, names):
    need_image("adaptive_avgpool", ins[0])
    return (ins[0][0], *a["size"])


def _adaptive_onnx(g, xs, a, ins, out):
    """ONNX has no adaptive pooling: one AveragePool where the bins are equal, else
    PyTorch's bins [⌊i·n/o⌋, ⌈(i+1)·n/o⌉) averaged along height, then along width."""
    (_, h, w), (oh, ow) = ins[0], a["size"]
    if h % oh == 0 and w % ow == 0:
        g.op("AveragePool", xs, g.out, kernel_shape=[h // oh, w // ow], strides=[h // oh, w // ow])
        return
    rows = _adaptive_axis(g, xs[0], 2, h, oh)
    _adaptive_axis(g, rows, 3, w, ow, g.out)


def _adaptive_axis(g, x: str, axis: int, n: int, o: int, output: str | None = None) -> str:
    bins = []
    for i in range(o):
        start, end = i * n // o, -(-(i + 1) * n // o)
        piece = g.op("Slice", [x, g.const([start], "int64"), g.const([end], "int64"), g.const([axis], "int64")])
        bins.append(g.reduce_mean(piece, [axis]))
    return g.op("Concat", bins, output, axis=axis)


ADAPTIVE_AVGPOOL = Op(
    "adaptive_avgpool", "average pooling to a fixed output size: adaptive_avgpool(size)",
    params=(Param("size", "pair", minimum=1),),
    shape=_adaptive_shape, flops=lambda ins, out, a: numel(ins[0]),
    window=lambda a: "global", describe=lambda a: fmt_pair(a["size"]),
    torch_call=lambda xs, a: f"F.adaptive_avg_pool2d({xs[0]}, {_py(a['size'])})", onnx=_adaptive_onnx,
)


def _global(op: str):
    def shape(ins, a, names):
        need_image(op, ins[0])
        return (ins[0][0], 1, 1)
    return shape


GLOBAL_AVGPOOL = Op(
    "global_avgpool", "average over all positions: C×H×W → C×1×1",
    shape=_global("global_avgpool"), flops=lambda ins, out, a: numel(ins[0]), window=lambda a: "global",
    torch_call=lambda xs, a: f"F.adaptive_avg_pool2d({xs[0]}, 1)",
    onnx=lambda g, xs, a, ins, out: g.op("GlobalAveragePool", xs, g.out),
)

GLOBAL_MAXPOOL = Op(
    "global_maxpool", "maximum over all positions: C×H×W → C×1×1",
    shape=_global("global_maxpool"), flops=lambda ins, out, a: numel(ins[0]), window=lambda a: "global",
    torch_call=lambda xs, a: f"F.adaptive_max_pool2d({xs[0]}, 1)",
    onnx=lambda g, xs, a, ins, out: g.op("GlobalMaxPool", xs, g.out),
)


