"""The language server (`netdsl lsp`, optional extra `netdsl[lsp]`): diagnostics, hover
with shapes and costs, inlay hints, navigation, completion and formatting for .net files."""
