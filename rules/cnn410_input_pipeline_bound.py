from cnnlint.rule import Rule, bad, good


def _fit_on_pydataset(delay_s):
    import time

    import keras
    import numpy as np
    from keras import layers

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(0)
            self.x = rng.normal(size=(8, 16, 8, 8, 1)).astype("float32")
            self.y = rng.integers(0, 10, (8, 16))

        def __len__(self):
            return 8

        def __getitem__(self, i):
            if delay_s:
                time.sleep(delay_s)  # decoding/augmenting images in Python, one batch at a time
            return self.x[i], self.y[i]

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    return {"model": model, "x": Batches()}


@bad()
def pydataset_sleeping_50ms_per_batch():
    return _fit_on_pydataset(0.05)


@good
def pydataset_from_memory():
    return _fit_on_pydataset(0.0)


class InputPipelineBound(Rule):
    """Training waits for data: loading a batch takes longer than the train step itself.

    ## What it does
    When the data comes from a tf.data.Dataset, a PyDataset or a generator, the probe times fetching a
    few batches from it and a train step on a batch already in memory, and this rule reports it when
    waiting for data takes more than `max_wait_share` (50%) of the step time (`wait / (wait + step)`).

    ## Why is this bad?
    The accelerator sits idle while Python decodes, resizes or augments the next batch: the job takes
    twice as long or more than it has to, with low GPU and high CPU utilization.

    ## Example
    ```python
    class Batches(keras.utils.PyDataset):
        def __getitem__(self, i):
            return np.stack([load_and_augment(f) for f in self.files[i]]), self.labels[i]  # 50 ms a batch
    ```

    ## Fix
    Prefetch and parallelize: `PyDataset(workers=8, use_multiprocessing=True)`, or tf.data with
    `.map(..., num_parallel_calls=tf.data.AUTOTUNE).cache().prefetch(tf.data.AUTOTUNE)`; decode and
    resize images once, ahead of training.

    ## Source
    Seed 000 (high CPU, low GPU utilization).
    """

    code, name, severity = "CNN410", "input-pipeline-bound", "warning"
    phase = "probe"
    needs = ("probe",)
    options = {"max_wait_share": 0.5}

    examples = (pydataset_sleeping_50ms_per_batch, pydataset_from_memory)

    def check(self, facts):
        pipeline = facts.probe.pipeline
        if pipeline is None or pipeline.wait_s is None or pipeline.step_s is None:
            return
        total = pipeline.wait_s + pipeline.step_s
        if total <= 0:
            return
        share = pipeline.wait_s / total
        if share > self.opts["max_wait_share"]:
            yield self.finding(
                f"waiting for data takes {pipeline.wait_s * 1e3:.3g} ms a batch against {pipeline.step_s * 1e3:.3g} ms "
                f"for the train step ({share:.0%} of the time, above {self.opts['max_wait_share']:.0%}, over "
                f"{pipeline.batches} batches): the accelerator waits for the input pipeline",
                fix="prefetch and parallelize the loading: PyDataset(workers=..., use_multiprocessing=True) or "
                    "tf.data .map(num_parallel_calls=AUTOTUNE).cache().prefetch(AUTOTUNE)")
