from math import prod

from cnnlint.rule import Rule, bad, good


def _case(x_bad=None, y_bad=None):
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((32, 8, 8, 1), dtype="float32")
    y = rng.random((32, 1), dtype="float32")
    if x_bad is not None:
        x[3, 2, 2, 0] = x[7, 0, 5, 0] = x_bad
    if y_bad is not None:
        y[5, 0] = y_bad
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
    return {"model": model, "x": x, "y": y}


@bad()
def nan_pixels():
    return _case(x_bad=float("nan"))


@bad()
def infinite_target():
    return _case(y_bad=float("inf"))


@good
def finite_data():
    return _case()


class NonFiniteInput(Rule):
    """The sample batch holds NaN or Inf values in x or y.

    ## What it does
    Counts the non-finite values (NaN, +Inf, -Inf) in every input array and every target array of
    the sample batch.

    ## Why is this bad?
    One NaN in a batch turns the loss and every gradient into NaN: after the first update all the
    weights are NaN and the model is lost. It usually comes from a division by zero in the
    preprocessing (a constant feature standardized by its zero std), a failed image decode, or
    missing values in a CSV.

    ## Example
    ```python
    x = (x - x.mean(axis=0)) / x.std(axis=0)  # a constant pixel has std 0 -> NaN
    ```

    ## Fix
    Find the offending samples (`np.argwhere(~np.isfinite(x))`), then drop them or fix their source:
    add an epsilon to divisors, impute missing values, clip infinities.

    ## Source
    DeepLocalize; TheDeepChecker.
    """

    code, name, severity = "CNN104", "non-finite-input", "error"
    needs = ("batch",)
    options = {}

    examples = (nan_pixels, infinite_target, finite_data)

    def check(self, facts):
        batch = facts.batch
        for arrays, name in ((batch.inputs, "x"), (batch.labels, "y")):
            for i, arr in enumerate(arrays):
                if not arr.nonfinite:
                    continue
                label = name if len(arrays) == 1 else f"{name}[{i}]"
                total = prod(arr.shape)
                yield self.finding(
                    f"{label} holds {arr.nonfinite} NaN/Inf value{'s' if arr.nonfinite > 1 else ''} out of "
                    f"{total} ({100 * arr.nonfinite / total:.2g}%) in the sample batch of {arr.n}: one NaN makes "
                    f"the loss and every weight NaN after the first update",
                    fix=f"find them with np.argwhere(~np.isfinite({label})) and drop those samples or fix their "
                        f"source (a division by a zero std, a failed decode, missing values)")
