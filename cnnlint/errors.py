"""Errors the user can act on. The CLI prints them as one line and exits 2."""


class UsageError(Exception):
    """Bad input: a missing file, an unknown rule, a malformed config, a factory that fails."""
