"""CompileFacts: loss, optimizer, learning rate or schedule, metrics, read from get_compile_config()."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

LOSS_ALIASES = {
    "mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "kld": "kl_divergence", "kullback_leibler_divergence": "kl_divergence",
    "bce": "binary_crossentropy", "cce": "categorical_crossentropy", "huber_loss": "huber",
    "logcosh": "log_cosh", "sparse_cce": "sparse_categorical_crossentropy",
}
ADAM_FAMILY = {"Adam", "AdamW", "Adamax", "Nadam", "Lamb"}
ADAPTIVE = ADAM_FAMILY | {"RMSprop", "Adagrad", "Adadelta", "Adafactor", "Lion", "Ftrl"}
BINARY_CE = {"binary_crossentropy", "binary_focal_crossentropy"}
CATEGORICAL_CE = {"categorical_crossentropy", "sparse_categorical_crossentropy", "categorical_focal_crossentropy"}
HINGE = {"hinge", "squared_hinge", "categorical_hinge"}
CROSS_ENTROPY = {"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                 "binary_focal_crossentropy", "categorical_focal_crossentropy"}


@dataclass(frozen=True)
class LossFacts:
    name: str  # canonical snake_case: "sparse_categorical_crossentropy", "mean_squared_error", ...
    from_logits: bool = False
    config: dict = field(default_factory=dict)

    @property
    def is_cross_entropy(self) -> bool:
        return self.name in CROSS_ENTROPY

    @property
    def takes_class_labels(self) -> bool:
        """Losses whose targets are classes (cross-entropy, hinge), not regression values."""
        return self.name in CROSS_ENTROPY or self.name in HINGE

    @property
    def is_binary_ce(self) -> bool:
        return self.name in BINARY_CE

    @property
    def is_categorical_ce(self) -> bool:
        return self.name in CATEGORICAL_CE


@dataclass(frozen=True)
class CompileFacts:
    compiled: bool
    losses: tuple[LossFacts, ...] = ()  # one per model output (a single loss is repeated)
    optimizer: str | None = None  # class name: "Adam", "SGD", ...
    optimizer_config: dict = field(default_factory=dict)
    learning_rate: float | None = None  # the initial value; for a schedule its starting value
    schedule: dict | None = None  # {"class_name": ..., "config": {...}} when the LR is a schedule
    metrics: tuple[str, ...] = ()
    loss_scaled: bool = False  # a LossScaleOptimizer wraps `optimizer` (mixed precision)

    @property
    def loss(self) -> LossFacts | None:
        return self.losses[0] if self.losses else None


def f32(value):
    """A hyper-parameter stored as float32 (0.0099999998) back to the number the user wrote (0.01)."""
    return float(f"{value:.7g}") if isinstance(value, float) else value


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def canonical_loss(value) -> LossFacts | None:
    if value is None:
        return None
    if isinstance(value, str):
        key = value.lower()
        return LossFacts(LOSS_ALIASES.get(key, key))
    if isinstance(value, dict):
        cfg = value.get("config")
        if value.get("class_name") == "function" or isinstance(cfg, str):
            return canonical_loss(cfg if isinstance(cfg, str) else value.get("class_name"))
        name = snake(value.get("class_name", "custom"))
        cfg = cfg or {}
        return LossFacts(LOSS_ALIASES.get(name, name), bool(cfg.get("from_logits", False)), dict(cfg))
    return canonical_loss(getattr(value, "__name__", type(value).__name__))


def _metric_names(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        if "class_name" in value:
            cfg = value.get("config")
            return [cfg if isinstance(cfg, str) else (cfg or {}).get("name", snake(value["class_name"]))]
        return [n for v in value.values() for n in _metric_names(v)]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _metric_names(v)]
    return [str(value)]


def _schedule_start(schedule: dict) -> float | None:
    cfg = schedule.get("config", {}) or {}
    for key in ("initial_learning_rate", "learning_rate"):
        if isinstance(cfg.get(key), (int, float)):
            return f32(float(cfg[key]))
    values = cfg.get("values")  # PiecewiseConstantDecay
    if isinstance(values, (list, tuple)) and values:
        return f32(float(values[0]))
    return None


def extract_compile(model) -> CompileFacts:
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        return CompileFacts(compiled=False)
    try:
        cfg = model.get_compile_config() or {}
    except Exception:
        cfg = {}
    opt = cfg.get("optimizer")
    if not isinstance(opt, dict):
        opt = {"class_name": type(model.optimizer).__name__, "config": model.optimizer.get_config()}
    inner = (opt.get("config") or {}).get("inner_optimizer")
    loss_scaled = opt.get("class_name") == "LossScaleOptimizer" and isinstance(inner, dict)
    if loss_scaled:  # mixed precision: judge the optimizer it wraps
        opt = inner
    opt_cfg = {k: f32(v) for k, v in (opt.get("config", {}) or {}).items()}
    lr = opt_cfg.get("learning_rate")
    schedule = None
    if isinstance(lr, dict):
        schedule = {"class_name": lr.get("class_name"), "config": dict(lr.get("config", {}) or {})}
        lr = _schedule_start(schedule)
    loss = cfg.get("loss", getattr(model, "loss", None))
    n_out = max(1, len(getattr(model, "outputs", None) or [1]))
    if isinstance(loss, dict) and "class_name" not in loss:
        names = getattr(model, "output_names", None) or list(loss)
        if not set(loss) <= set(names):  # keyed by the keys of a dict of outputs
            names = sorted(loss)
        losses = tuple(canonical_loss(loss.get(n)) or LossFacts("none") for n in names)
    elif isinstance(loss, (list, tuple)):
        losses = tuple(canonical_loss(v) or LossFacts("none") for v in loss)
    else:
        losses = (canonical_loss(loss),) * n_out
    return CompileFacts(
        compiled=loss is not None, losses=losses if loss is not None else (), loss_scaled=loss_scaled,
        optimizer=opt.get("class_name"), optimizer_config=opt_cfg,
        learning_rate=float(lr) if isinstance(lr, (int, float)) else None, schedule=schedule,
        metrics=tuple(_metric_names(cfg.get("metrics"))))
