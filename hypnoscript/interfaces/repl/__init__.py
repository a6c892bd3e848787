"""`hyp repl`: the interactive HypnoScript prompt."""
