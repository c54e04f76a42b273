"""Reporters: one small module per output format."""
from __future__ import annotations

FORMATS = ("text", "json")


def render(fmt: str, reports, **options) -> str:
    if fmt == "json":
        from cnnlint.report.json import render as json_render

        return json_render(reports)
    from cnnlint.report.text import render as text_render

    return text_render(reports, **options)
