"""Run the probe fit on a copy of the user's model, in the issue's order:
(1) memory at the planned batch size, (2) loss at step 0, (3) fit one fixed batch of 16 samples with the
user's optimizer, loss and learning rate, (4) data loading against the step for datasets/generators."""
from __future__ import annotations

import math
import time

import numpy as np

from cnnlint.errors import UsageError
from cnnlint.facts.extract import one_line
from cnnlint.facts.probe import PipelineFacts, ProbeFacts
from cnnlint.probe.taps import Taps
from cnnlint.progress import say

FIXED_BATCH = 16
SWEEP_FACTORS = (10 ** -0.5, 0.1, 10 ** -1.5, 0.01, 10 ** -2.5, 0.001)  # of the user's LR, largest first
SWEEP_STEPS = 10
MEMORIZED = 0.01  # the fixed batch counts as memorized below 1% of its step-0 loss: the fit stops there


def load_backend(name: str | None = None):
    """The probe's module for Keras' backend (`name`, default keras.backend.backend()); a trial subprocess names
    it (KERAS_BACKEND) so that Keras is imported only after the backend module set the device up."""
    if name is None:
        import keras

        name = keras.backend.backend()
    if name == "tensorflow":
        from cnnlint.probe import backend_tensorflow

        return backend_tensorflow
    raise UsageError(f"the probe runs on the TensorFlow backend; Keras is set to {name!r} (KERAS_BACKEND)")


def _finalize(model) -> None:
    """Call finalize_state() on every layer (nested ones too): set_weights alone leaves an adapted
    Normalization normalizing with mean 0 / variance 1."""
    for layer in getattr(model, "layers", ()):
        _finalize(layer)
        finalize = getattr(layer, "finalize_state", None)  # preprocessing layers define it; others do not
        if callable(finalize):
            finalize()


class ModelCopy:
    """A clone with the user's weights and a fresh optimizer from the same config. A model that cannot be
    cloned (subclassed) is probed in place: its weights and optimizer variables are restored afterwards."""

    def __init__(self, model):
        import keras

        self.original, self.snapshot = model, None
        try:
            clone = keras.models.clone_model(model)
            clone.set_weights(model.get_weights())
            _finalize(clone)  # adapted Normalization layers rebuild their mean/variance from the copied weights
            clone.compile_from_config(model.get_compile_config())
            self.model = clone
        except Exception:  # noqa: BLE001 - subclassed models: snapshot and restore instead
            self.model = model
            if not model.optimizer.built:  # its slots exist (at their zero start) before the snapshot
                model.optimizer.build(model.trainable_variables)
            self.snapshot = ([v.numpy().copy() for v in model.weights],
                             [v.numpy().copy() for v in model.optimizer.variables])
        self.initial = [v.numpy().copy() for v in self.model.weights]

    def reset(self, learning_rate=None):
        """Back to the user's weights, with a zeroed optimizer state (and another LR, for the sweep)."""
        for var, value in zip(self.model.weights, self.initial):
            var.assign(value)
        for var in self.model.optimizer.variables:
            if "learning_rate" in getattr(var, "path", ""):
                continue  # the rate itself is a variable: keep it (or set it below)
            var.assign(np.zeros(var.shape, dtype=var.dtype.name if hasattr(var.dtype, "name") else var.dtype))
        if learning_rate is not None:
            self.model.optimizer.learning_rate = learning_rate

    def restore(self):
        if self.snapshot is None:
            return
        weights, slots = self.snapshot
        for var, value in zip(self.original.weights, weights):
            var.assign(value)
        for var, value in zip(self.original.optimizer.variables, slots):
            var.assign(value)


def _take(value, n):
    if isinstance(value, dict):
        return {k: _take(v, n) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_take(v, n) for v in value]
    return None if value is None else np.asarray(value)[:n]


def _groups(model, objects, trainable_order):
    """Indices of model.trainable_variables per layer path, in trainable_order."""
    index = {id(v): i for i, v in enumerate(model.trainable_variables)}
    groups, paths = [], []
    for path in trainable_order:
        ids = [index[id(v)] for v in objects[path].trainable_weights if id(v) in index]
        if ids:
            groups.append(ids)
            paths.append(path)
    return groups, paths


def _task(facts):
    """(task kind, classes) from the facts' task: the probe and its rules share it."""
    task = facts.task
    if task is None:
        return "unknown", None
    classes = 2 if task.kind in ("binary", "multi-label") or task.kind == "segmentation" and task.classes == 1 \
        else task.classes
    return task.kind, classes


class ProbeSkipped(Exception):
    """The probe cannot judge this model; the message says why (it becomes a note, never a finding)."""


def _accuracy(task, y_pred, y, from_logits):
    if task not in ("classification", "segmentation", "binary", "multi-label") or isinstance(y_pred, (list, dict)) \
            or y is None or isinstance(y, (list, dict)):
        return None
    y_pred, y = np.asarray(y_pred), np.asarray(y)
    if y_pred.shape[-1] > 1 and task in ("classification", "segmentation"):
        guess = y_pred.argmax(-1)
        truth = y.argmax(-1) if y.ndim == y_pred.ndim and y.shape[-1] == y_pred.shape[-1] else y.reshape(guess.shape)
    else:
        guess = (y_pred > (0.0 if from_logits else 0.5)).astype(np.float32).reshape(-1)
        truth = np.round(y.astype(np.float32)).reshape(-1)
        if truth.shape != guess.shape:
            return None
    return float(np.mean(guess == truth))


def _merge_max(a: dict, b: dict) -> dict:
    return {k: max(a.get(k, 0.0), b.get(k, 0.0)) for k in {*a, *b}}


RISE_STEPS = 10  # an end above the start is judged from this many steps on (a NaN or a spike from the first)
END_RISE = 0.05  # "ends above its start" means a real rise: 5% of the start, not noise on a flat curve


def diverged(initial: float | None, losses, spike: float = 3.0, rise: float = END_RISE) -> bool:
    """NaN/Inf, a spike above `spike` x the start, or an end clearly above the start (the CNN401 condition)."""
    if not losses:
        return False
    if not all(math.isfinite(v) for v in losses):
        return True
    start = initial if initial is not None and math.isfinite(initial) else losses[0]
    # an end above the start is a trend: the mean of the last 5 steps above the start and above the first 5
    end, first = float(np.mean(losses[-5:])), float(np.mean(losses[:5]))
    return max(losses) > spike * start or len(losses) >= RISE_STEPS and end > (start + rise * abs(start)) and end > first


HEAD_SHARE = 0.2  # under this share of trainable weights, the model is a head on a frozen backbone


def head_only(facts, finding):
    """A stall on a head over a frozen backbone is info: it learns from fixed features at a fine-tuning-sized
    rate, and the probe's few steps are few for it (CNN303, CNN213 and CNN215 judge its settings)."""
    model = facts.model
    if model is None or not model.params or model.trainable_share >= HEAD_SHARE:
        return finding
    return finding.with_(severity="info", message=f"{finding.message} (only {model.trainable_share:.0%} of the "
                                                  f"weights train: a head on a frozen backbone learns slowly here)")


def too_few(probe, needed: int) -> str:
    """Why a loss-trend rule cannot judge a probe that ran fewer than `needed` steps (for Rule.cannot_judge)."""
    why = "before the probe's time ran out (raise --probe-timeout)" if probe.budget_hit else \
        f"(--probe-steps {probe.steps_planned})"
    return f"only {len(probe.losses)} steps ran {why}; it needs {needed}"


def still_falling(losses, floor: float = 0.0, window: int = 10, progress: float = 0.05) -> bool:
    """Is the loss (above its floor) still falling? Compares the mean of the last quarter of the run (at least
    `window` steps) with the quarter before: a slow, noisy decline (dropout, augmentation) is not a plateau."""
    w = min(max(window, len(losses) // 4), len(losses) // 2)
    if w < 2:
        return False
    before = float(np.mean(losses[-2 * w:-w])) - floor
    last = float(np.mean(losses[-w:])) - floor
    return before > 0 and (before - last) / before > progress


def _fit(step, x, y, steps, deadline, progress=None, base=0, total=None, stop_below=None, far=None):
    """Fit the fixed batch; stop at the deadline ("timeout") or once the loss is below `stop_below`. With `far`
    (the default budget, stretched), the deadline waits for VERDICT_STEPS steps (counting `base`) up to `far`."""
    losses, norms, mean_abs, ratios = [], [], [], []
    for i in range(steps):
        now = time.perf_counter()
        if now > deadline and (far is None or base + len(losses) >= VERDICT_STEPS or now > far):
            return losses, norms, mean_abs, ratios, "timeout"
        if stop_below is not None and losses and losses[-1] < stop_below:
            return losses, norms, mean_abs, ratios, "memorized"
        loss, grad_norms, grad_abs, update = step(x, y)
        losses.append(float(loss))
        norms.append(np.asarray(grad_norms, dtype=np.float64))
        mean_abs.append(np.asarray(grad_abs, dtype=np.float64))
        ratios.append(np.asarray(update, dtype=np.float64))
        if progress:
            progress(base + i + 1, total or steps)
    return losses, norms, mean_abs, ratios, None


def _lr_sweep(copy, step, x, y, lr, deadline):
    """The largest LR below the user's on a log-spaced sweep whose loss still falls (None if none does)."""
    for factor in SWEEP_FACTORS:
        if time.perf_counter() > deadline:
            return None
        copy.reset(learning_rate=lr * factor)
        losses = _fit(step, x, y, SWEEP_STEPS, deadline)[0]
        if losses and not diverged(losses[0], losses) and losses[-1] < losses[0]:
            return float(f"{lr * factor:.2g}")
    return None


def _rows(x) -> int:
    """Samples in a batch's x (an array, or a list/dict of arrays)."""
    first = x[0] if isinstance(x, (list, tuple)) else next(iter(x.values())) if isinstance(x, dict) else x
    return len(first)


def _pipeline(data, step, x, y, deadline, batches=5) -> PipelineFacts | None:
    """Seconds waiting for each batch of the user's dataset/generator against one train step on such a batch.
    The step is timed on the probe's fixed batch and scaled linearly to the dataset's batch size: a step at the
    planned batch never runs in this process (it may not fit in memory; CNN403's trials run it, isolated)."""
    if data is None:
        return None
    try:
        workers = int(getattr(data, "workers", 1) or 1)
        if workers > 1 and hasattr(data, "__getitem__"):  # a PyDataset with workers loads batches in parallel
            wait_s, count, rows = _parallel_waits(data, workers, batches)
        else:
            wait_s, count, rows = _serial_waits(data, batches, deadline)
        if count == 0 or time.perf_counter() > deadline:
            return None
        step_s = _step_time(step, x, y) * rows / max(1, _rows(x))
    except Exception:  # noqa: BLE001 - a pipeline we cannot time is not a finding
        return None
    return PipelineFacts(wait_s=wait_s, step_s=step_s, batches=count)


def _serial_waits(data, batches, deadline):
    """(mean seconds per batch, batches timed, samples in a batch), one batch held at a time."""
    from cnnlint.data import split_element

    iterator = iter(data) if not hasattr(data, "__getitem__") else (data[i] for i in range(len(data)))
    waits, rows = [], 0
    for _ in range(batches + 1):
        if time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        element = next(iterator, None)
        if element is None:
            break
        waits.append(time.perf_counter() - started)
        rows = rows or _rows(split_element(element)[0])
        del element
    waits = waits[1:] or waits  # the first fetch includes starting the iterator
    return (float(np.mean(waits)) if waits else 0.0), len(waits), rows


def _parallel_waits(data, workers, batches):
    from concurrent.futures import ThreadPoolExecutor

    from cnnlint.data import split_element

    count = min(len(data), batches * workers)
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:  # each batch is dropped as soon as it is counted
        rows = [_rows(split_element(element)[0]) for element in pool.map(data.__getitem__, range(count))]
    return (time.perf_counter() - started) / max(1, count), count, (rows[0] if rows else 0)


def _step_time(step, x, y) -> float:
    step(x, y)  # traced at this batch size already; once more to settle
    started = time.perf_counter()
    for _ in range(3):
        step(x, y)
    return (time.perf_counter() - started) / 3


def _scaled_lr(facts, n) -> float | None:
    """Plain SGD takes a step as noisy as its batch is small: a probe on n samples of a planned batch B
    overstates it. The linear scaling rule (Goyal et al. 2017) gives the rate that matches at n: lr * n / B.
    None when it does not apply (adaptive optimizers normalize their steps; B <= n). A schedule is judged from
    its start, held constant for the refit."""
    lr, plan = facts.compile.learning_rate, facts.plan
    if facts.compile.optimizer != "SGD" or lr is None or plan is None or plan.batch_size <= n:
        return None
    return lr * n / plan.batch_size


def _at_rate(copy, rate, make_step, schedule: bool):
    """The copy back at its start with a constant learning rate `rate`, and a step for it (None when the rate
    cannot be changed without touching the user's optimizer: a schedule on a model probed in place)."""
    model = copy.model
    if not schedule:
        copy.reset(learning_rate=rate)
        return make_step()
    if copy.snapshot is not None:
        return None
    config = {**model.optimizer.get_config(), "learning_rate": rate}
    model.optimizer = type(model.optimizer).from_config(config)  # the clone's own optimizer, at a constant rate
    copy.reset()
    return make_step()


HELDOUT = 64


def _heldout(model, sample, task, from_logits):
    """(accuracy, majority-class share, samples) on up to HELDOUT samples after the fixed batch, which the fit
    never saw; None when the sample has too few or the task has no single class per sample."""
    x, y = sample.x, sample.y
    if task != "classification" or not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        return None
    xh, yh = x[FIXED_BATCH:FIXED_BATCH + HELDOUT], y[FIXED_BATCH:FIXED_BATCH + HELDOUT]
    if len(xh) < 32:
        return None
    accuracy = _accuracy(task, model(xh, training=False), yh, from_logits)
    ids = yh.argmax(-1) if yh.ndim == 2 and yh.shape[1] > 1 else yh.reshape(-1)
    majority = float(np.bincount(ids.astype(np.int64)).max() / len(ids))
    return None if accuracy is None else (accuracy, majority, len(xh))


VERDICT_STEPS = 10  # the steps the loss-trend rules need (CNN402's min_steps, RISE_STEPS)
FIT_SHARE = 0.7  # of --probe-timeout for the fit itself; the rest for a refit, an LR sweep, the pipeline timing
TREND = ("CNN401", "CNN402", "CNN405", "CNN411", "CNN412")
GRADIENTS = ("CNN406", "CNN407")
EXTEND = 3  # a batch not memorized after the planned steps gets up to this many times the steps (within budget)


def _own_step(model):
    """A step through the model's own train_step, exactly as fit runs it (a custom loss and update): the loss
    it logs, no gradients."""
    def step(x, y):
        logs = model.fit(x, y, batch_size=len(x if not isinstance(x, (list, dict)) else next(iter(
            x.values() if isinstance(x, dict) else x))), epochs=1, verbose=0, shuffle=False).history
        loss = logs.get("loss", next((v for v in logs.values()), [float("nan")]))
        return float(loss[-1]), (), (), ()

    return step


def run_probe(model, sample, facts, *, seed=0, **kwargs) -> ProbeFacts:
    """One seeded probe on a copy of `model`. `memory` is step (1)'s result (see measure_memory): it does
    not depend on the seed, so the session measures it once. Raises ProbeSkipped when the model gives the probe
    nothing to judge. The global random generators are seeded for it and given back afterwards."""
    from cnnlint.rng import seeded

    with seeded(seed):
        return _run_probe(model, sample, facts, seed=seed, **kwargs)


def _run_probe(model, sample, facts, *, steps=50, timeout=60.0, seed=0, memory=None, progress=None,
               stretch=None) -> ProbeFacts:
    from cnnlint.facts.model import extract_model

    if facts.model is not None and facts.model.trainable_params == 0:
        raise ProbeSkipped("the model has no trainable weights (CNN213): there is nothing to fit")
    backend = load_backend()
    started = time.perf_counter()
    end = started + timeout  # the whole probe: the fit gets FIT_SHARE, a refit or LR sweep what is left
    deadline = started + FIT_SHARE * timeout
    far = started + FIT_SHARE * stretch if stretch and stretch > timeout else None  # a slow model's verdict
    say(progress, "copying the model for the probe")
    copy = ModelCopy(model)
    try:
        clone = copy.model
        clone_facts, objects = extract_model(clone)
        order = tuple(lay.path for lay in clone_facts.leaves if lay.trainable_params > 0)
        x, y = _take(sample.x, FIXED_BATCH), _take(sample.y, FIXED_BATCH)
        n = _rows(x)
        task, classes = _task(facts)
        floor = facts.task.loss_floor if facts.task is not None else 0.0
        from_logits = bool(facts.compile.loss and facts.compile.loss.from_logits)
        own = bool(facts.model and facts.model.custom_train_step)
        unjudged = {}
        penalty = 0.0
        taps = Taps(clone, clone_facts)
        dead0 = sat0 = dead1 = sat1 = {}
        if own:  # its own loss and update: fit through train_step, read the loss it logs
            groups, paths, initial = [], [], None
            _, dead0, sat0 = taps(x)
            step = _own_step(clone)
            unjudged = {code: "the model trains through its own train_step: the probe reads its logged loss only"
                        for code in ("CNN404", "CNN406", "CNN407", "CNN411", "CNN405")}
        else:
            groups, paths = _groups(clone, objects, order)
            # the loss (and the activations) the first training step sees: in training mode while BatchNorm
            # statistics are at init
            fresh_bn = any(lay.bn_trained is False for lay in clone_facts.layers)
            y_pred, dead0, sat0 = taps(x, training=fresh_bn)
            initial = float(clone.compute_loss(x=x, y=y, y_pred=y_pred, training=fresh_bn))
            penalty = float(sum(float(v) for v in clone.losses)) if clone.losses else 0.0  # weight penalties
            copy.reset()  # a training-mode call moved the moving statistics
            step = backend.make_step(clone, groups)
        lr = facts.compile.learning_rate
        probe_lr = lr
        start = initial if initial is not None and math.isfinite(initial) else None
        base = floor + penalty  # weight penalties stay in the loss: memorized is measured above them
        stop_below = base + MEMORIZED * (start - base) if start is not None and start > base else None
        losses, norms, mean_abs, ratios, stop = _fit(step, x, y, steps, deadline, progress, stop_below=stop_below,
                                                     far=far)
        if far is not None and time.perf_counter() > deadline:  # stretched: the rest gets its share after the fit
            end = min(started + stretch, time.perf_counter() + (1 - FIT_SHARE) * timeout)
        while stop is None and len(losses) < EXTEND * steps and not diverged(initial, losses):  # not memorized
            more = _fit(step, x, y, steps, deadline, progress, base=len(losses), total=EXTEND * steps,
                        stop_below=stop_below, far=far)
            losses, norms, mean_abs, ratios, stop = (losses + more[0], norms + more[1], mean_abs + more[2],
                                                     ratios + more[3], more[4])
        scaled = _scaled_lr(facts, n)
        if scaled is not None and diverged(initial, losses) and stop != "timeout":
            say(progress, "refitting plain SGD at the rate scaled to its batch")
            again_step = _at_rate(copy, scaled, lambda: backend.make_step(clone, groups), bool(facts.compile.schedule))
            if again_step is not None:  # SGD at the planned batch's noise: does it still diverge?
                again = _fit(again_step, x, y, len(losses), (deadline + end) / 2, stop_below=stop_below)
                if again[0] and not diverged(initial, again[0]):
                    (losses, norms, mean_abs, ratios, stop), probe_lr, step = again, scaled, again_step
        budget = stop if stop == "timeout" else None
        if budget and not losses:  # not one step: nothing to judge (with a few, each rule says what it needs)
            why = f"the probe ran 0 of {steps} steps in the {timeout:.2g} s it had (raise --probe-timeout)"
            unjudged.update({code: why for code in TREND + GRADIENTS})
        # update ratios while the model still learns: after memorizing the batch its gradients fade
        learning = next((i for i, v in enumerate(losses) if stop_below is not None and v < stop_below),
                        len(ratios)) or 1
        final, accuracy = losses[-1] if losses else None, None
        if not own:  # the better of training mode (BatchNorm's moving averages lag after a short fit) and
            # inference mode (Dropout, noise and augmentation layers hide what the model has memorized)
            for training in (True, False):  # one inference pass: the prediction and the activations
                y_pred, dead1, sat1 = (clone(x, training=True), dead1, sat1) if training else taps(x)
                loss = float(clone.compute_loss(x=x, y=y, y_pred=y_pred, training=training))
                acc = _accuracy(task, y_pred, y, from_logits)
                loss -= float(sum(float(v) for v in clone.losses)) if clone.losses else 0.0  # the data's loss
                final = loss if training or not math.isfinite(final) else min(final, loss)
                accuracy = acc if accuracy is None else max(accuracy, acc if acc is not None else accuracy)
        if own:
            _, dead1, sat1 = taps(x)
        heldout = None if own else _heldout(clone, sample, task, from_logits)
        suggestion = None
        if not own and diverged(initial, losses) and lr and not facts.compile.schedule:
            say(progress, "sweeping the learning rate")
            suggestion = _lr_sweep(copy, step, x, y, probe_lr, end)
            if suggestion and probe_lr != lr:
                suggestion = float(f"{suggestion * lr / probe_lr:.2g}")  # back at the planned batch
        if sample.data is not None and not own:
            say(progress, "timing the input pipeline")
        pipeline = None if own else _pipeline(sample.data, step, x, y, end)
        if pipeline is None and sample.data is not None and not own:
            unjudged["CNN410"] = "the input pipeline could not be timed within --probe-timeout"
        bad_step = next((i for i, g in enumerate(norms) if g.size and not np.all(np.isfinite(g))), None)
        return ProbeFacts(
            device=backend.device(), backend=backend.NAME, seed=seed, samples=n, steps_planned=steps,
            steps_run=len(losses), budget_hit=budget, task=task, classes=classes, initial_loss=initial,
            losses=tuple(losses), final_loss=final, final_accuracy=accuracy,
            grad_norms={p: tuple(float(g[i]) for g in norms) for i, p in enumerate(paths)},
            grad_mean_abs={p: float(mean_abs[0][i]) for i, p in enumerate(paths)} if mean_abs else {},
            nonfinite_grad_step=bad_step,
            update_ratios={p: float(np.median([math.log10(max(r[i], 1e-30)) for r in ratios[:learning]]))
                           for i, p in enumerate(paths)} if ratios and paths else {},
            dead_units=_merge_max(dead0, dead1), saturated=_merge_max(sat0, sat1), trainable_order=tuple(paths),
            learning_rate=lr, lr_suggestion=suggestion, memory=memory, pipeline=pipeline,
            stopped_early=stop == "memorized", loss_floor=floor, unjudged=unjudged, penalty=penalty,
            probe_learning_rate=probe_lr,
            heldout=heldout)
    finally:
        copy.restore()


def measure_memory(model, sample, facts, memory_limit, *, deadline=None, progress=None, margin=0.05):
    """Step (1): the planned batch size against the device memory; the model is saved (unchanged) for the trials."""
    from cnnlint.probe.memory import check_memory

    try:  # saving the model for the trials changes nothing in it: no copy needed
        return check_memory(model, sample.x, sample.y, batch_size=facts.plan.batch_size,
                            model_facts=facts.model, compile_facts=facts.compile, limit_bytes=memory_limit,
                            deadline=deadline, progress=(lambda text: say(progress, text)) if progress else None,
                            margin=margin)
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - a failed memory check must not lose the rest of the probe
        from cnnlint.facts.probe import MemoryFacts

        return MemoryFacts(batch_size=facts.plan.batch_size, fits=None, method="estimate", error=one_line(exc))
