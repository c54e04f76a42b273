"""Reporters: one small module per output format."""
from __future__ import annotations

from importlib import import_module

FORMATS = ("text", "json", "sarif", "github", "junit")
MACHINE_FORMATS = ("json", "sarif", "github", "junit")  # render(reports) only: nothing else on stdout


def render(fmt: str, reports, **options) -> str:
    if fmt in MACHINE_FORMATS:
        return import_module(f"cnnlint.report.{fmt}").render(reports)
    from cnnlint.report.text import render as text_render

    return text_render(reports, **options)
