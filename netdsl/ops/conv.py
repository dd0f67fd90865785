"""conv: convolution over every spatial axis (1-D, 2-D or 3-D by the input's layout),
grouped and depthwise included (depthwise: groups=in.c)."""

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


def _onnx(g, s: Site):
    inputs = [s.names[0], g.weight("weight")] + ([g.weight("bias")] if s["bias"] else [])
    g.op("Conv", inputs, g.out, kernel_shape=list(s["kernel"]), strides=list(s["stride"]),
         pads=list(s["pad"]) * 2, dilations=list(s["dilation"]), group=s["groups"])


CONV = Op(
    "conv", "convolution over the spatial axes (1-D, 2-D or 3-D by the input):"
            " conv(out, kernel, stride=1, pad=0, dilation=1, groups=1, bias=true)",
    params=(Param("out", "int", minimum=1), Param("kernel", "spatial", minimum=1),
            Param("stride", "spatial", 1, minimum=1), Param("pad", "spatial", 0, minimum=0),
            Param("dilation", "spatial", 1, minimum=1), Param("groups", "int", 1, minimum=1),
            Param("bias", "bool", True)),
    shape=_shape, weights=_weights, macs=_macs,
    window=lambda s: Window(s["kernel"], s["stride"], s["dilation"]),
    describe=_describe, torch_module=_torch, onnx=_onnx,
)
