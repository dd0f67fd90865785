"""conv: 2-D convolution, grouped and depthwise included (depthwise: groups=in.c)."""

from __future__ import annotations

from netdsl.ops.base import Ctor, Op, Param, ShapeError, Window, fmt_pair, need_image, numel, window_size


def _shape(ins, a, names):
    need_image("conv", ins[0])
    c, h, w = ins[0]
    out, groups = a["out"], a["groups"]
    if c % groups:
        raise ShapeError(f"conv: input channels {c} are not divisible by groups={groups}")
    if out % groups:
        raise ShapeError(f"conv: output channels {out} are not divisible by groups={groups}")
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = a["kernel"], a["stride"], a["pad"], a["dilation"]
    return (out,
            window_size("conv", h, kh, sh, ph, dh, False, "height"),
            window_size("conv", w, kw, sw, pw, dw, False, "width"))


def _weights(ins, out, a):
    kh, kw = a["kernel"]
    weights = {"weight": (a["out"], ins[0][0] // a["groups"], kh, kw)}
    if a["bias"]:
        weights["bias"] = (a["out"],)
    return weights


def _macs(ins, out, a):
    kh, kw = a["kernel"]
    return numel(out) * (ins[0][0] // a["groups"]) * kh * kw


def _describe(a):
    (kh, kw), stride = a["kernel"], a["stride"]
    text = f"{kh}×{kw}" + (f"/{fmt_pair(stride)}" if stride != (1, 1) else "")
    extra = f", g={a['groups']}" if a["groups"] != 1 else ""
    extra += f", d={fmt_pair(a['dilation'])}" if a["dilation"] != (1, 1) else ""
    return f"{text}, {a['out']}{extra}"


def _torch(ins, out, a):
    return Ctor("nn.Conv2d", (("in", ins[0][0]), ("out", a["out"]), ("kernel", a["kernel"])),
                (("stride", a["stride"], 1), ("padding", a["pad"], 0), ("dilation", a["dilation"], 1),
                 ("groups", a["groups"], 1), ("bias", a["bias"], True)))


def _onnx(g, xs, a, ins, out):
    inputs = [xs[0], g.weight("weight")] + ([g.weight("bias")] if a["bias"] else [])
    (ph, pw) = a["pad"]
    g.op("Conv", inputs, g.out, kernel_shape=list(a["kernel"]), strides=list(a["stride"]),
         pads=[ph, pw, ph, pw], dilations=list(a["dilation"]), group=a["groups"])


CONV = Op(
    "conv", "2-D convolution: conv(out, kernel, stride=1, pad=0, dilation=1, groups=1, bias=true)",
    params=(Param("out", "int", minimum=1), Param("kernel", "pair", minimum=1),
            Param("stride", "pair", 1, minimum=1), Param("pad", "pair", 0, minimum=0),
            Param("dilation", "pair", 1, minimum=1), Param("groups", "int", 1, minimum=1),
            Param("bias", "bool", True)),
    shape=_shape, weights=_weights, macs=_macs,
    window=lambda a: Window(a["kernel"], a["stride"], a["dilation"]),
    describe=_describe, torch_module=_torch, onnx=_onnx,
)
