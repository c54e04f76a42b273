from cnnlint.rule import Rule, bad, good


def _reshaping_model(width):
    import keras
    import numpy as np

    class Reshaper(keras.Model):
        def __init__(self):
            super().__init__()
            self.head = keras.layers.Dense(3, activation="softmax")

        def call(self, x):
            return self.head(keras.ops.reshape(x, (-1, width)))

    x = np.random.default_rng(0).random((8, 10), dtype=np.float32)
    return {"model": Reshaper(), "x": x, "y": np.arange(8) % 3}


@bad()
def call_fails_on_batch():
    return _reshaping_model(7)  # 10 features cannot be reshaped into rows of 7


@good
def call_works_on_batch():
    return _reshaping_model(5)


class ModelBuildFailed(Rule):
    """The model could not be built or called on the sample batch.

    ## What it does
    Reports the Keras error, in one line, when cnnlint cannot build the model (a subclassed model
    never called and no data to call it with) or the model fails on the sample batch.

    ## Why is this bad?
    `fit` would fail the same way, after the data pipeline and the job scheduler have had their turn;
    and the rules that need the model's layers could not run.

    ## Example
    A subclassed model whose `call` reshapes 10 features into rows of 7.

    ## Fix
    Read the Keras error in the message; start the model with `keras.Input(shape=...)` so that it is
    built where it is defined, and call it on one batch of the real data.

    ## Source
    deepchecks (a failing step becomes a result); the catalogue's 9xx family: cnnlint reports on itself.
    """

    code, name, severity = "CNN902", "model-build-failed", "error"
    needs = ()
    examples = (call_fails_on_batch, call_works_on_batch)

    def check(self, facts):
        for problem in facts.problems:
            if problem.stage == "collapse":
                continue  # a spatial size that reached zero: CNN201 reports it
            yield self.finding(problem.message, layer=problem.layer,
                               fix="build the model with keras.Input(shape=...) and call it on one real batch")
