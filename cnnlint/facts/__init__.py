"""Facts: plain data extracted once per target. Only this package touches Keras objects."""
from __future__ import annotations

from dataclasses import dataclass, field

from cnnlint.facts.batch import ArrayFacts, BatchFacts, LabelFacts
from cnnlint.facts.compile import CompileFacts, LossFacts
from cnnlint.facts.model import LayerFacts, ModelFacts
from cnnlint.facts.plan import PlanFacts
from cnnlint.facts.probe import MemoryFacts, PipelineFacts, ProbeFacts
from cnnlint.facts.task import TaskFacts


@dataclass(frozen=True)
class Problem:
    """Something that stopped a fact from being computed (reported as CNN902)."""

    stage: str  # "build", "call"
    message: str
    layer: str | None = None


@dataclass(frozen=True)
class Facts:
    target: str
    model: ModelFacts | None = None
    compile: CompileFacts | None = None
    batch: BatchFacts | None = None
    plan: PlanFacts | None = None
    probe: ProbeFacts | None = None
    task: TaskFacts | None = None
    problems: tuple[Problem, ...] = ()
    probe_requested: bool = False
    extra: dict = field(default_factory=dict)


__all__ = ["ArrayFacts", "BatchFacts", "CompileFacts", "Facts", "LabelFacts", "LayerFacts", "LossFacts", "MemoryFacts",
           "PipelineFacts", "ProbeFacts",
           "ModelFacts", "PlanFacts", "Problem", "TaskFacts"]
