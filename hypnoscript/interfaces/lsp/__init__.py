"""`hyp lsp`: the HypnoScript language server (pygls, over stdio)."""
