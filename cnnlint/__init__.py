"""cnnlint: a static-plus-runtime linter for Keras CNNs.

Importing this package is cheap: Keras and TensorFlow load only when a model is checked.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Finding", "Report", "LintFailed", "PreflightError", "UsageError", "check", "preflight", "__version__"]

from cnnlint.errors import UsageError
from cnnlint.finding import Finding
from cnnlint.preflight import PreflightError, preflight
from cnnlint.result import LintFailed, Report


def check(model, x=None, y=None, **kwargs) -> Report:
    """Lint a Keras model; see `cnnlint.api.check` for the arguments (they mirror `model.fit`)."""
    from cnnlint.api import check as _check

    return _check(model, x, y, **kwargs)


def __getattr__(name):
    if name == "keras":  # `cnnlint.keras.PreflightCallback` without importing Keras on `import cnnlint`
        import importlib

        return importlib.import_module("cnnlint.keras")
    raise AttributeError(f"module 'cnnlint' has no attribute {name!r}")
