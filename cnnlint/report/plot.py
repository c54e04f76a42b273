"""`--plot FILE`: the probe's loss curve and per-layer gradient norms (needs the `plot` extra)."""
from __future__ import annotations

from pathlib import Path

from cnnlint.errors import UsageError


def save(report, path: str | Path) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'cnnlint[plot]'") from None
    probe = report.probe
    figure, (loss_ax, grad_ax) = plt.subplots(1, 2, figsize=(11, 4))
    losses = [float(v) for v in probe["losses"]]
    loss_ax.plot(range(len(losses)), losses, marker=".")
    loss_ax.set(title=f"{report.target}: loss on {probe['samples']} samples", xlabel="step", ylabel="loss")
    for name, norms in probe["grad_norms"].items():
        values = [max(float(v), 1e-12) for v in norms]
        grad_ax.plot(range(len(values)), values, label=name)
    grad_ax.set(title="gradient L2 norm per layer", xlabel="step", yscale="log")
    if len(probe["grad_norms"]) <= 12:
        grad_ax.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)
