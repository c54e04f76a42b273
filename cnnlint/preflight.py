"""`cnnlint.preflight`: one added line before a long `model.fit`, taking exactly what fit takes."""
from __future__ import annotations

from cnnlint.result import Report

FIT_KEYWORDS = ("batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data", "shuffle",
                "class_weight", "sample_weight", "initial_epoch", "steps_per_epoch", "validation_steps",
                "validation_batch_size", "validation_freq")


class PreflightError(Exception):
    """Raised when a pre-flight check finds something at or above `fail_on`; `.report` has the findings."""

    def __init__(self, report: Report):
        from cnnlint.report.text import render

        self.report = report
        failing = report.at_least(report.fail_on)
        super().__init__(f"cnnlint pre-flight check failed: {len(failing)} finding(s) at or above "
                         f"{report.fail_on}; fix them before training:\n{render([report], quiet=True)}")


def preflight(model, x=None, y=None, *, fail_on: str = "error", probe: bool = True, config=None,
              **fit_kwargs) -> Report:
    """Lint `model` with the arguments you are about to give `model.fit`; raise PreflightError when a
    finding reaches `fail_on`, else return the report. Static rules and the probe fit (on a copy) run."""
    unknown = sorted(set(fit_kwargs) - set(FIT_KEYWORDS))
    if unknown:
        raise TypeError(f"preflight() got an unexpected keyword argument {unknown[0]!r} (it takes what model.fit "
                        f"takes, plus fail_on, probe and config)")
    from cnnlint.api import check

    report = check(model, x, y, batch_size=fit_kwargs.get("batch_size"), epochs=fit_kwargs.get("epochs"),
                   validation_split=fit_kwargs.get("validation_split") or 0.0,
                   steps_per_epoch=fit_kwargs.get("steps_per_epoch"), probe=probe, config=config, fail_on=fail_on)
    if not report.ok:
        raise PreflightError(report)
    return report
