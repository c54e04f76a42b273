"""PlanFacts: the training plan, as `model.fit` would read it."""
from __future__ import annotations

import math
from dataclasses import dataclass

KERAS_DEFAULT_BATCH = 32


@dataclass(frozen=True)
class PlanFacts:
    batch_size: int  # the value fit will use (Keras' default 32 when not given)
    batch_size_given: bool
    epochs: int | None
    validation_split: float
    samples: int | None  # the full dataset size, when known
    fixed_steps: int | None = None  # fit's steps_per_epoch, when given

    @property
    def train_samples(self) -> int | None:
        if self.samples is None:
            return None
        return int(math.floor(self.samples * (1.0 - self.validation_split)))  # where Keras splits

    @property
    def steps_per_epoch(self) -> int | None:
        if self.fixed_steps:
            return self.fixed_steps
        if self.train_samples is None or self.batch_size <= 0:
            return None
        return max(1, math.ceil(self.train_samples / self.batch_size))

    @property
    def total_steps(self) -> int | None:
        if self.steps_per_epoch is None or self.epochs is None:
            return None
        return self.steps_per_epoch * self.epochs


def plan_facts(*, batch_size=None, epochs=None, validation_split=0.0, samples=None, steps_per_epoch=None) -> PlanFacts:
    return PlanFacts(batch_size=int(batch_size) if batch_size is not None else KERAS_DEFAULT_BATCH,
                     batch_size_given=batch_size is not None, epochs=epochs,
                     validation_split=float(validation_split or 0.0), samples=samples,
                     fixed_steps=int(steps_per_epoch) if steps_per_epoch else None)


def plan_problem(key: str, value) -> str | None:
    """What is wrong with one plan value as fit would take it (None when it is fine or not given):
    batch_size, epochs, samples and steps_per_epoch are positive integers, validation_split a fraction in [0, 1)."""
    import numbers

    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "a fraction in [0, 1)" if key == "validation_split" else "a positive integer"
        return f"must be {kind}, got {value!r}"
    if key == "validation_split":
        return None if 0 <= value < 1 else f"must be a fraction in [0, 1) (the share held out), got {value!r}"
    if not isinstance(value, numbers.Integral) or value < 1:
        return f"must be a positive integer, got {value!r}"
    return None


def check_plan(values: dict, name=lambda key: key) -> None:
    """Raise a UsageError for the first bad plan value; `name` spells the key as the user wrote it."""
    from cnnlint.errors import UsageError

    for key, value in values.items():
        problem = plan_problem(key, value)
        if problem:
            raise UsageError(f"{name(key)} {problem}")
