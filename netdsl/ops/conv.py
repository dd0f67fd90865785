"""conv: convolution over every spatial axis (1-D, 2-D or 3-D by the input's layout),
grouped and depthwise included (depthwise: groups=in.c); conv_transpose, its transpose.

MACs: conv — output elements × in_channels/groups × kernel volume; conv_transpose — input
elements × out_channels/groups × kernel volume (each input value is spread over a kernel).
A transposed convolution keeps its input's receptive field and stride."""

from __future__ import annotations

from netdsl.ops.base import Ctor, Op, Param, ShapeError, Site, Window, fmt_pair, need_spatial, numel, windowed


def _shape(s: Site):
    need_spatial("conv", s)
    c, out, groups = s.x[0], s["out"], s["groups"]
    if c % groups:
        raise ShapeError(f"conv: input channels {c} are not divisible by groups={groups}")
    if out % groups:
        raise ShapeError(f"conv: output channels {out} are not divisible by groups={groups}")
    return (out, *windowed("conv", s))


def _weights(s: Site):
    weights = {"weight": (s["out"], s.x[0] // s["groups"], *s["kernel"])}
    if s["bias"]:
        weights["bias"] = (s["out"],)
    return weights


def _macs(s: Site):
    return numel(s.out) * (s.x[0] // s["groups"]) * numel(s["kernel"])


def _describe(s: Site):
    kernel, stride = s["kernel"], s["stride"]
    text = "×".join(map(str, kernel)) + (f"/{fmt_pair(stride)}" if set(stride) != {1} else "")
    extra = f", g={s['groups']}" if s["groups"] != 1 else ""
    extra += f", d={fmt_pair(s['dilation'])}" if set(s["dilation"]) != {1} else ""
    return f"{text}, {s['out']}{extra}"


def _torch(s: Site):
    return Ctor(f"nn.Conv{len(s['kernel'])}d", (("in", s.x[0]), ("out", s["out"]), ("kernel", s["kernel"])),
                (("stride", s["stride"], 1), ("padding", s["pad"], 0), ("dilation", s["dilation"], 1),
                 ("groups", s["groups"], 1), ("bias", s["bias"], True)))


def _onnx(op_type: str):
    """ONNX's Conv or ConvTranspose with the site's geometry (and output padding, for the transpose)."""
    def lower(g, s: Site):
        inputs = [s.names[0], g.weight("weight")] + ([g.weight("bias")] if s["bias"] else [])
        extra = {"output_padding": list(s["output_pad"])} if "output_pad" in s.args else {}
        g.op(op_type, inputs, g.out, kernel_shape=list(s["kernel"]), strides=list(s["stride"]),
             pads=list(s["pad"]) * 2, dilations=list(s["dilation"]), group=s["groups"], **extra)
    return lower


_GEOMETRY = (Param("out", "int", minimum=1), Param("kernel", "spatial", minimum=1),
             Param("stride", "spatial", 1, minimum=1), Param("pad", "spatial", 0, minimum=0))
_GROUPING = (Param("dilation", "spatial", 1, minimum=1), Param("groups", "int", 1, minimum=1),
             Param("bias", "bool", True))

CONV = Op(
    "conv", "convolution over the spatial axes (1-D, 2-D or 3-D by the input):"
            " conv(out, kernel, stride=1, pad=0, dilation=1, groups=1, bias=true)",
    params=_GEOMETRY + _GROUPING, shape=_shape, weights=_weights, macs=_macs,
    window=lambda s: Window(s["kernel"], s["stride"], s["dilation"]),
    describe=_describe, torch_module=_torch, onnx=_onnx("Conv"),
)


def _transpose_shape(s: Site):
    need_spatial("conv_transpose", s)
    c, out, groups = s.x[0], s["out"], s["groups"]
    if c % groups or out % groups:
        raise ShapeError(f"conv_transpose: channels {c} → {out} are not divisible by groups={groups}")
    sizes = []
    for n, k, st, p, op, d in zip(s.x[1:], s["kernel"], s["stride"], s["pad"], s["output_pad"], s["dilation"]):
        if op >= max(st, d):
            raise ShapeError(f"conv_transpose: output_pad {op} must be less than the stride or the dilation")
        sizes.append((n - 1) * st - 2 * p + d * (k - 1) + op + 1)
    if min(sizes) < 1:
        raise ShapeError(f"conv_transpose: the output would be {'×'.join(map(str, sizes))}")
    return (out, *sizes)


def _transpose_torch(s: Site):
    return Ctor(f"nn.ConvTranspose{len(s['kernel'])}d",
                (("in", s.x[0]), ("out", s["out"]), ("kernel", s["kernel"])),
                (("stride", s["stride"], 1), ("padding", s["pad"], 0), ("output_padding", s["output_pad"], 0),
                 ("groups", s["groups"], 1), ("bias", s["bias"], True), ("dilation", s["dilation"], 1)))


CONV_TRANSPOSE = Op(
    "conv_transpose", "transposed convolution (learned upsampling, nn.ConvTranspose1d/2d/3d): conv_transpose(out,"
                      " kernel, stride=1, pad=0, output_pad=0, dilation=1, groups=1, bias=true)",
    params=_GEOMETRY + (Param("output_pad", "spatial", 0, minimum=0),) + _GROUPING, shape=_transpose_shape,
    weights=lambda s: {"weight": (s.x[0], s["out"] // s["groups"], *s["kernel"]),
                       **({"bias": (s["out"],)} if s["bias"] else {})},
    macs=lambda s: numel(s.x) * (s["out"] // s["groups"]) * numel(s["kernel"]),
    describe=_describe, torch_module=_transpose_torch, onnx=_onnx("ConvTranspose"),
)
