"""Frontends: models from elsewhere (ONNX) read into netdsl, written as `.net` source."""
