"""The base class every rule derives from, and the decorators that tag its example models."""
from __future__ import annotations

import inspect

from cnnlint.finding import Finding


def bad(layer: str | None = None):
    """Tag an example builder whose model must trigger the rule (on `layer`, when given)."""

    def tag(fn):
        fn.example_kind, fn.example_layer = "bad", layer
        return fn

    return tag


def good(fn):
    """Tag an example builder whose model must not trigger the rule."""
    fn.example_kind, fn.example_layer = "good", None
    return fn


class NotJudged(Exception):
    """Raised by a rule's check when the facts cannot support a verdict either way (e.g. a probe cut short):
    the report lists the rule as not judged, with the message as the reason, never as clean."""


class Rule:
    """A check that judges facts and yields findings.

    Subclasses set the class attributes and implement `check(facts)`. Example builders
    (tagged with `bad`/`good`) return a model, or a dict of `cnnlint.check` keyword
    arguments (`model`, `x`, `y`, plan, config, ...).
    """

    code: str = ""
    name: str = ""
    severity: str = "warning"
    phase: str = "static"  # "static" or "probe"
    opt_in: bool = False  # runs only when selected by its own code or name (ALL and prefixes leave it out)
    needs: tuple[str, ...] = ("model",)  # facts the rule reads: model, compile, batch, plan, probe
    options: dict = {}  # thresholds with their defaults; settable from config
    examples: tuple = ()

    def __init__(self, options: dict | None = None):
        self.opts = {**self.options, **(options or {})}

    def check(self, facts):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def cannot_judge(reason: str):
        """Stop this check and say why it could not judge (the engine reports it as not judged)."""
        raise NotJudged(reason)

    def finding(self, message: str, *, layer: str | None = None, fix: str | None = None,
                severity: str | None = None) -> Finding:
        return Finding(self.code, self.name, severity or self.severity, layer, message, fix, self.phase)

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.doc().splitlines()[0] if cls.__doc__ else ""
