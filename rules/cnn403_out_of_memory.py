from cnnlint.probe.memory import format_size
from cnnlint.rule import Rule, bad, good


def _wide_head(limit):
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    model = keras.Sequential([  # 6.3M parameters: 100 MB of weights, gradients and Adam slots
        keras.Input((32, 32, 3)), layers.Conv2D(8, 3, padding="same", activation="relu", name="conv"),
        layers.MaxPooling2D(name="pool"), layers.Flatten(name="flatten"),
        layers.Dense(3072, activation="relu", name="wide"), layers.Dense(10, activation="softmax", name="head")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return {"model": model, "x": rng.random((16, 32, 32, 3), dtype=np.float32), "y": rng.integers(0, 10, 16),
            "batch_size": 32, "memory_limit": limit}


@bad()
def weights_and_adam_slots_exceed_the_device():
    return _wide_head("64MiB")


@good
def same_model_on_a_larger_device():
    return _wide_head("2GiB")


def _trials(trials) -> str:
    return ", ".join(f"{batch} {'ok' if fits else 'no'}" for batch, fits in trials)


class OutOfMemory(Rule):
    """A train step at the planned batch size runs out of device memory.

    ## What it does
    Runs one train step at the planned `batch_size` in a fresh subprocess: on a GPU it measures
    TensorFlow's peak memory; on a CPU with `--memory-limit` the subprocess is capped at the limit so an
    oversized step really fails. When the step does not fit, it halves the batch size until one fits, then
    bisects to within 5% and reports the largest batch size that fits. Without a device to try on, it
    compares an analytic estimate (weights + gradients + optimizer slots + 2x the activations) with
    `--memory-limit`.

    ## Why is this bad?
    The job dies with `ResourceExhaustedError: OOM when allocating tensor` at the first step, or, on a
    machine with a smaller GPU than the one it was written on, after the queue wait. The largest batch size
    that fits is what you need to know to fix it, and finding it by trial means restarting the process each
    time (TensorFlow keeps the GPU memory it took).

    ## Example
    ```python
    model.fit(x, y, batch_size=256)  # cnnlint --probe --memory-limit 8GiB: the step needs 11.2 GiB
    ```

    ## Fix
    Use the largest batch size reported (or keep the effective batch with gradient accumulation), train
    in mixed precision (`keras.mixed_precision.set_global_policy("mixed_float16")`), or make the model
    smaller; when the weights and optimizer slots alone do not fit, only the model, the optimizer (SGD with
    momentum keeps half of Adam's state) or the device can change.

    ## Source
    Seed 000 (OOM: reduce the batch size); no published detector covers it.
    """

    code, name, severity = "CNN403", "out-of-memory", "error"
    phase = "probe"
    needs = ("probe",)
    options = {}

    examples = (weights_and_adam_slots_exceed_the_device, same_model_on_a_larger_device)

    def check(self, facts):
        mem = facts.probe.memory
        if mem is None:
            return
        where = f"{format_size(mem.limit_bytes)} of {mem.device} memory" if mem.limit_bytes else \
            f"{mem.device} memory"
        if mem.fits is False:
            how = "measured" if mem.method == "measured" else \
                "in a subprocess capped at the limit" if mem.method == "subprocess" else "estimated"
            what = f"a train step at batch_size={mem.batch_size} does not fit in {where} ({how})"
        elif mem.method == "estimate" and mem.limit_bytes and (mem.estimate_bytes or 0) > mem.limit_bytes:
            what = (f"a train step at batch_size={mem.batch_size} needs an estimated "
                    f"{format_size(mem.estimate_bytes)} (weights, gradients, optimizer slots, activations), more "
                    f"than {where}")
        else:
            return
        largest = mem.largest_batch
        if largest:
            peak = f" (peak {format_size(mem.peak_bytes)})" if mem.peak_bytes else \
                " by the estimate" if mem.method == "estimate" else ""
            what += f"; the largest batch size that fits is {largest}{peak}"
            fix = f"use batch_size={largest} (or gradient accumulation / mixed precision)"
        elif largest == 0:
            what += "; not even batch_size=1 fits"
            fix = ("make the model smaller (fewer parameters), use an optimizer with less state (SGD with momentum "
                   "keeps 1 slot per weight, Adam 2), or use a device with more memory")
        else:
            smallest = min((batch for batch, _ in mem.trials), default=mem.batch_size)
            what += "; no batch size fitted within the trials"
            fix = f"use a batch size below {smallest} (or gradient accumulation / mixed precision)"
        if mem.error:
            what += f": {mem.error}"
        if mem.trials:
            what += f" [trials: {_trials(mem.trials)}]"
        yield self.finding(what, fix=fix)
