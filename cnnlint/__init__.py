"""cnnlint: a static-plus-runtime linter for Keras CNNs.

Importing this package is cheap: Keras and TensorFlow load only when a model is checked.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Finding", "Report", "LintFailed", "UsageError", "check", "__version__"]

from cnnlint.errors import UsageError
from cnnlint.finding import Finding
from cnnlint.result import LintFailed, Report


def check(model, x=None, y=None, **kwargs) -> Report:
    """Lint a Keras model; see `cnnlint.api.check` for the arguments (they mirror `model.fit`)."""
    from cnnlint.api import check as _check

    return _check(model, x, y, **kwargs)
