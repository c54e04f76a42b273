"""What a long run is doing, on a terminal's stderr only (nothing on a pipe): the probe fit as a bar, every
other phase (memory trials, the LR sweep, the pipeline timing) as a status line, ended before the report."""
from __future__ import annotations

import sys


def say(progress, text: str) -> None:
    """Tell a progress display which phase runs (plain callables only draw the fit; None shows nothing)."""
    phase = getattr(progress, "phase", None)
    if phase is not None:
        phase(text)


class Progress:
    WIDTH = 30

    def __init__(self, target: str, stream=None):
        self.target, self.stream, self.open = target, stream or sys.__stderr__, False

    def _draw(self, text: str) -> None:
        print(f"\r\033[K{self.target}: {text}", end="", file=self.stream, flush=True)
        self.open = True

    def __call__(self, step: int, total: int) -> None:
        """The fit: step `step` of `total`."""
        done = int(self.WIDTH * step / max(1, total))
        self._draw(f"probing [{'#' * done}{'.' * (self.WIDTH - done)}] {step}/{total}")

    def phase(self, text: str) -> None:
        self._draw(f"{text} ...")

    def close(self) -> None:
        """End the line (a probe that stopped early leaves the bar short): the report starts on its own line."""
        if self.open:
            print("\r\033[K", end="", file=self.stream, flush=True)
            self.open = False
