"""cnnlint's built-in rules, one module per rule (installed as the package `cnnlint.rules`)."""
