"""Lowerings of the IR: PyTorch source and modules, ONNX. Each imports torch or
onnx itself, so importing netdsl never does."""
