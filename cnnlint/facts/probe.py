"""ProbeFacts: what a short, seeded fit on a copy of the model measured. Plain data; rules judge it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MemoryFacts:
    """Step (1): one real train step at the planned batch size (CNN403)."""

    batch_size: int
    fits: bool | None  # None when it could not be tried (e.g. the model cannot be saved for a subprocess)
    method: str  # "measured" (GPU peak), "subprocess" (a capped CPU subprocess), "estimate" (analytic only)
    device: str = "CPU"
    peak_bytes: int | None = None  # measured peak (GPU) or subprocess peak growth (CPU)
    estimate_bytes: int | None = None  # params + gradients + optimizer slots + activations, at batch_size
    limit_bytes: int | None = None  # --memory-limit, or the device's total memory when known
    largest_batch: int | None = None  # the largest batch size measured to fit, when a failure above it is known
    trials: tuple = ()  # (batch_size, fits) for every trial step, in order
    error: str | None = None  # the one-line error of the failing trial
    recommended_batch: int | None = None  # `margin` below largest_batch; the planned batch when it fits with it
    margin: float = 0.0  # the fraction the recommendation keeps below the largest batch that fits
    processes: int = 0  # trial processes that ran steps (each runs batches in increasing order until one fails)


@dataclass(frozen=True)
class PipelineFacts:
    """Step (4): data loading against the train step, when data comes from a dataset or generator (CNN410)."""

    wait_s: float  # mean seconds waiting for the next batch
    step_s: float  # mean seconds of one train step on a batch already in memory
    batches: int


@dataclass(frozen=True)
class ProbeFacts:
    device: str  # "CPU" or "GPU:0"
    backend: str  # keras backend: "tensorflow" (jax/torch: the seam)
    seed: int
    samples: int  # size of the fixed batch fitted in step (3): 16, or fewer when the data has fewer
    steps_planned: int
    steps_run: int
    budget_hit: str | None = None  # "timeout" when the probe stopped early; findings use what was measured
    task: str = "classification"  # the facts' task kind: classification, binary, multi-label, segmentation, ...
    classes: int | None = None  # number of classes, for classification
    initial_loss: float | None = None  # step 0, on the fixed batch, before any update (CNN404)
    losses: tuple[float, ...] = ()  # the training loss of each step on the fixed batch (CNN401/402/405)
    final_loss: float | None = None  # the data's loss on the fixed batch after the last step (weight penalties out)
    final_accuracy: float | None = None  # train accuracy on the fixed batch after the last step (classification)
    grad_norms: dict = field(default_factory=dict)  # layer path -> (L2 norm of its gradients at each step)
    grad_mean_abs: dict = field(default_factory=dict)  # layer path -> mean |gradient| at step 0
    nonfinite_grad_step: int | None = None  # first step with a NaN/Inf gradient
    update_ratios: dict = field(default_factory=dict)  # layer path -> median log10(|dW| / |W|) per step
    dead_units: dict = field(default_factory=dict)  # ReLU-family layer path -> share of units 0 for all samples
    saturated: dict = field(default_factory=dict)  # sigmoid/tanh layer path -> share of pre-activations beyond +-5
    trainable_order: tuple[str, ...] = ()  # paths of the layers with trainable weights, input to output
    learning_rate: float | None = None  # the optimizer's learning rate at step 0
    lr_suggestion: float | None = None  # when the loss diverged: the largest swept LR whose loss still fell
    memory: MemoryFacts | None = None
    pipeline: PipelineFacts | None = None
    seeds: int = 1  # how many seeds were probed (findings say in how many the symptom appeared)
    stopped_early: bool = False  # the batch was memorized (loss < 1% of its start) before steps_planned
    loss_floor: float = 0.0  # the loss the targets allow at best (soft labels, pixel targets): not 0
    unjudged: dict = field(default_factory=dict)  # rule code -> why the probe could not measure what it reads
    penalty: float = 0.0  # the weight penalties (L1/L2, activity) included in initial_loss
    probe_learning_rate: float | None = None  # the rate of the run reported (SGD refit at lr x samples / batch)
    heldout: tuple | None = None  # CNN412: (accuracy, majority-class share, n) on samples the fit never saw

    @property
    def start_loss(self) -> float | None:
        """The step-0 loss (inference mode) when finite, else the first training loss."""
        if self.initial_loss is not None and math.isfinite(self.initial_loss):
            return self.initial_loss
        return self.losses[0] if self.losses else None

    def first_last_grad(self) -> tuple | None:
        """(first path, its step-0 gradient norm, last path, its norm) over layers with gradients."""
        order = [p for p in self.trainable_order if self.grad_norms.get(p)]
        if len(order) < 2:
            return None
        return order[0], self.grad_norms[order[0]][0], order[-1], self.grad_norms[order[-1]][0]
