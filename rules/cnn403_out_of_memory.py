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


def _trials(mem) -> str:
    """ [trials: 71 ok, 475 ok, 518 no; 2 trial processes]"""
    if not mem.trials:
        return ""
    steps = ", ".join(f"{batch} {'ok' if fits else 'no'}" for batch, fits in mem.trials)
    procs = f"; {mem.processes} trial process{'es' * (mem.processes != 1)}" if mem.processes else ""
    return f" [trials: {steps}{procs}]"


class OutOfMemory(Rule):
    """A train step at the planned batch size runs out of device memory, or fits with less than the margin.

    ## What it does
    Runs real `model.fit` steps (the data adapter, its copies of the batch, the compiled metrics) in trial
    subprocesses: on a GPU it measures TensorFlow's peak memory; on a CPU with `--memory-limit` each subprocess
    is capped at the limit so an oversized step really fails. The search starts from the analytic estimate,
    calibrated by one small measured step; each process runs batch sizes in increasing order until one fails,
    and a new process starts only after a failure. It reports the largest batch size that fits (to within 3%)
    and recommends one `--memory-margin` below it (5% by default): an allocator that fragments, a longer
    validation batch or another process can take the rest. A planned batch that fits, but whose margin does
    not (the batch `margin` larger fails), is a warning. Without a device to try on, it compares an analytic
    estimate (weights + gradients + optimizer slots + 2x the activations) with `--memory-limit`.

    ## Why is this bad?
    The job dies with `ResourceExhaustedError: OOM when allocating tensor` at the first step, or, on a
    machine with a smaller GPU than the one it was written on, after the queue wait. A batch size at the very
    edge of the memory fits in one run and not in the next. The largest batch size that fits is what you need
    to know to fix it, and finding it by trial means restarting the process each time (TensorFlow keeps the
    GPU memory it took).

    ## Example
    ```python
    model.fit(x, y, batch_size=256)  # cnnlint --probe --memory-limit 8GiB: the step needs 11.2 GiB
    ```

    ## Fix
    Use the recommended batch size (or keep the effective batch with gradient accumulation), train in mixed
    precision (`keras.mixed_precision.set_global_policy("mixed_float16")`), or make the model smaller; when
    the weights and optimizer slots alone do not fit, only the model, the optimizer (SGD with momentum keeps
    half of Adam's state) or the device can change.

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
        how = "measured" if mem.method == "measured" else \
            "in a subprocess capped at the limit" if mem.method == "subprocess" else "estimated"
        use, margin = mem.recommended_batch or mem.largest_batch, f"{mem.margin:.0%}"
        if mem.fits and use and use < mem.batch_size:  # it fits, but the batch the margin asks for does not
            yield self.finding(
                f"a train step at batch_size={mem.batch_size} fits in {where} ({how}), but with less than the "
                f"{margin} margin: the largest batch size that fits is {mem.largest_batch}{_trials(mem)}",
                fix=f"use batch_size={use} ({margin} below the largest that fits), so that fragmentation or another "
                    f"allocation does not end the run", severity="warning")
            return
        if mem.fits is False:
            what = f"a train step at batch_size={mem.batch_size} does not fit in {where} ({how})"
        elif mem.method == "estimate" and mem.limit_bytes and (mem.estimate_bytes or 0) > mem.limit_bytes:
            what = (f"a train step at batch_size={mem.batch_size} needs an estimated "
                    f"{format_size(mem.estimate_bytes)} (weights, gradients, optimizer slots, activations), more "
                    f"than {where}")
        else:
            return
        if mem.largest_batch:
            peak = f" (peak {format_size(mem.peak_bytes)})" if mem.peak_bytes else \
                " by the estimate" if mem.method == "estimate" else ""
            what += f"; the largest batch size that fits is {mem.largest_batch}{peak}"
            if use != mem.largest_batch:
                what += f"; with a {margin} margin, use {use}"
            fix = f"use batch_size={use} (or gradient accumulation / mixed precision)"
        elif mem.largest_batch == 0:
            what += "; not even batch_size=1 fits"
            fix = ("make the model smaller (fewer parameters), use an optimizer with less state (SGD with momentum "
                   "keeps 1 slot per weight, Adam 2), or use a device with more memory")
        else:
            smallest = min((batch for batch, fits in mem.trials if not fits), default=mem.batch_size)
            what += "; no batch size fitted within the trials"
            fix = f"use a batch size below {smallest} (or gradient accumulation / mixed precision)"
        if mem.error:
            what += f": {mem.error}"
        yield self.finding(what + _trials(mem), fix=fix)
