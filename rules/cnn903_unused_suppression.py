from cnnlint.rule import Rule, bad, good


def _model():
    import keras

    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu", name="stem"),
                             keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])


@bad()
def override_matches_no_layer():
    return {"model": _model(), "config": {"overrides": [{"layers": ["backbone/*"], "ignore": ["CNN3"]}]}}


@good
def override_matches_a_layer():
    import numpy as np

    raw = np.random.default_rng(0).integers(0, 256, (32, 8, 8, 1)).astype("float32")  # 0-255 on purpose
    cfg = {"overrides": [{"layers": ["stem"], "ignore": ["input-scale"]}]}
    return {"model": _model(), "x": raw, "config": cfg, "select": ["CNN103", "CNN903"]}


class UnusedSuppression(Rule):
    """A configured ignore matched nothing.

    ## What it does
    Reports a `[[tool.cnnlint.overrides]]` entry whose layer patterns match no layer of the model,
    or whose ignores suppressed no finding.

    ## Why is this bad?
    A stale ignore hides nothing today and will silently hide a real problem tomorrow, when a layer
    with a matching name is added. It usually means a layer was renamed or a bug was fixed.

    ## Example
    `layers = ["backbone/*"]` on a model whose backbone is no longer nested.

    ## Fix
    Remove the override, or correct its layer patterns.

    ## Source
    ruff's unused-noqa (RUF100).
    """

    code, name, severity = "CNN903", "unused-suppression", "info"
    needs = ()
    examples = (override_matches_no_layer, override_matches_a_layer)

    def check(self, facts):
        return ()  # emitted by the engine after applying overrides
