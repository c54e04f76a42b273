"""`cnnlint.keras.PreflightCallback`: a pre-flight check for code whose `fit` call you cannot change."""
from __future__ import annotations

import keras

from cnnlint.preflight import PreflightError


class PreflightCallback(keras.callbacks.Callback):
    """On `on_train_begin`, lints what a callback can see (the model, its compile settings, fit's epochs
    and steps) with the static rules; on a finding at or above `fail_on` it stops training before the
    first step, raising PreflightError with the findings table (or, with `raise_error=False`, printing it
    and setting `model.stop_training`)."""

    def __init__(self, fail_on: str = "error", config=None, raise_error: bool = True):
        super().__init__()
        self.fail_on, self.config, self.raise_error = fail_on, config, raise_error
        self.report = None

    def on_train_begin(self, logs=None):
        from cnnlint.api import check

        params = self.params or {}
        self.report = check(self.model, epochs=params.get("epochs"), steps_per_epoch=params.get("steps"),
                            probe=False, config=self.config, fail_on=self.fail_on)
        if self.report.ok:
            return
        error = PreflightError(self.report)
        self.model.stop_training = True
        if self.raise_error:
            raise error
        print(error)
