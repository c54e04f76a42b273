import math

from cnnlint.rule import Rule, bad, good

INF = math.inf
RANGES = {"sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0),
          "softsign": (-1.0, 1.0), "relu": (0.0, INF), "relu6": (0.0, 6.0), "softplus": (0.0, INF),
          "elu": (-1.0, INF), "selu": (-1.7581, INF), "exponential": (0.0, INF)}
TOLERANCE = 1e-6


def _regressor(activation, targets, loss="mse"):
    import keras
    import numpy as np

    lay = keras.layers
    model = keras.Sequential([keras.Input((8, 8, 1)), lay.Conv2D(4, 3, activation="relu"),
                              lay.GlobalAveragePooling2D(), lay.Dense(1, activation=activation, name="out")])
    model.compile(optimizer="adam", loss=loss)
    rng = np.random.default_rng(0)
    y = {"0..100": rng.uniform(0, 100, (32, 1)), "unit": rng.uniform(0, 1, (32, 1)),
         "standardized": rng.standard_normal((32, 1)), "ids": rng.integers(0, 2, 32)}[targets]
    return {"model": model, "x": rng.random((32, 8, 8, 1), dtype="float32"), "y": y.astype("float32")}


@bad(layer="out")
def sigmoid_output_for_0_to_100_targets():
    return _regressor("sigmoid", "0..100")


@bad(layer="out")
def relu_output_for_standardized_targets():
    return _regressor("relu", "standardized")


@bad(layer="out")
def tanh_output_for_0_to_100_targets():
    return _regressor("tanh", "0..100", loss="mae")


@good
def sigmoid_output_for_unit_targets():
    return _regressor("sigmoid", "unit")


@good
def linear_output_for_0_to_100_targets():
    return _regressor(None, "0..100")


@good
def sigmoid_with_binary_crossentropy():
    return _regressor("sigmoid", "ids", loss="binary_crossentropy")


def _bounds(activation: str, layer) -> tuple[float, float] | None:
    cfg = layer.config if layer is not None else {}
    if layer is not None and layer.class_name == "ReLU":  # max_value / negative_slope change the range
        if cfg.get("negative_slope"):
            return None
        top = cfg.get("max_value")
        return (0.0, INF if top is None else float(top))
    if layer is not None and layer.class_name == "ELU":
        return (-float(cfg.get("alpha", 1.0)), INF)
    return RANGES.get(activation)


def _fmt(value: float) -> str:
    return "inf" if value == INF else f"{value:g}"


def _interval(low: float, high: float) -> str:
    return f"[{_fmt(low)}, {_fmt(high)}" + (")" if high == INF else "]")


class LabelRangeVsActivation(Rule):
    """The targets lie outside the range the output activation can produce.

    ## What it does
    Compares the range of each output's targets with the range of its output activation (looking back
    through Dropout/Flatten/Reshape): sigmoid and softmax give [0, 1], tanh [-1, 1], relu and softplus
    [0, inf), relu6 [0, 6], elu (-1, inf). Class labels (for a cross-entropy or hinge loss, or integer ids
    for a softmax) are not judged here: CNN105 and CNN301 check those; regression targets are.

    ## Why is this bad?
    The model can never output the targets: a sigmoid can't reach 37.5, a relu can't reach -1.2. The loss
    stalls at a floor, gradients vanish as the activation saturates, and the long job learns nothing useful.

    ## Example
    ```python
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="mse")
    model.fit(x, ages)  # ages in 0..100
    ```

    ## Fix
    Use a linear output (`activation=None`) for unbounded regression targets, or scale the targets into
    the activation's range (e.g. divide by the maximum, or standardize for tanh) and scale predictions back.

    ## Source
    DeepDiagnosis (out-of-range outputs); SO 48221692.
    """

    code, name, severity = "CNN106", "label-range-vs-activation", "error"
    needs = ("model", "batch")
    options = {}

    examples = (sigmoid_output_for_0_to_100_targets, relu_output_for_standardized_targets,
                tanh_output_for_0_to_100_targets, sigmoid_output_for_unit_targets,
                linear_output_for_0_to_100_targets, sigmoid_with_binary_crossentropy)

    def check(self, facts):
        model, labels = facts.model, facts.batch.labels
        compiled = facts.compile is not None and facts.compile.compiled
        losses = facts.compile.losses if compiled else ()
        for i, y in enumerate(labels[:len(model.output_layers)]):
            if y.min is None or y.nonfinite:
                continue
            loss = losses[i] if i < len(losses) else None
            activation, path = model.output_activation(i)
            if loss is not None and (loss.takes_class_labels or loss.name == "none"):
                continue  # class labels: CNN105's business
            if activation == "softmax" and y.integer_valued and not y.one_hot:
                continue  # class ids for a softmax: the loss pairing is CNN301's and CNN105's business
            bounds = _bounds(activation, model.layer(path))
            if bounds is None:
                continue
            low, high = bounds
            if y.min >= low - TOLERANCE and y.max <= high + TOLERANCE:
                continue
            outside = []
            if y.min < low - TOLERANCE:
                outside.append(f"min {y.min:g} < {_fmt(low)}")
            if y.max > high + TOLERANCE:
                outside.append(f"max {y.max:g} > {_fmt(high)}")
            loss_text = f" with {loss.name}" if loss is not None else ""
            shift = (f"(y - {y.min:g})" if y.min else "y") + f" / {y.max - y.min:g}"
            if (low, high) != (0.0, 1.0):
                shift = (f"{low:g} + " if low else "") + f"{high - low:g} * {shift}"
            scale = (f"map the targets into {_interval(low, high)} (e.g. {shift}) and map predictions back"
                     if high < INF else
                     "if the targets really are non-negative, check their preprocessing (standardizing makes "
                     "them negative)")
            yield self.finding(
                f"targets range {y.min:g}..{y.max:g} ({', '.join(outside)}) but output {path} uses {activation}"
                f"{loss_text}, which only produces {_interval(low, high)}: the model can never reach them",
                layer=path, fix=f"use a linear output (activation=None) for these targets, or {scale}")
