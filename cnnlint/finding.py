"""Findings and severities: the plain data every rule yields and every reporter prints."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

SEVERITIES = ("info", "warning", "error")


def severity_rank(severity: str) -> int:
    """Order severities so that a threshold can be compared: info < warning < error."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: str
    layer: str | None
    message: str
    fix: str | None = None
    phase: str = "static"
    target: str | None = None

    def with_(self, **changes) -> "Finding":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)
