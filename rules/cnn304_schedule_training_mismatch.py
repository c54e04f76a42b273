import math

from cnnlint.rule import Rule, bad, good

HORIZON = {"CosineDecayRestarts": "first_decay_steps", "PiecewiseConstantDecay": "boundaries"}  # else decay_steps
GRID = 2000  # a run is judged on up to GRID + 1 evenly spaced steps, plus the schedule's own breakpoints


def _cosine(fraction, alpha, scale=1.0):
    return (1 - alpha) * 0.5 * scale * (1 + math.cos(math.pi * fraction)) + alpha


def lr_at(schedule: dict, step: int) -> float | None:
    """The learning rate a Keras schedule ({"class_name", "config"}) gives at `step`; None if unknown."""
    cls, c = schedule.get("class_name"), schedule.get("config") or {}
    try:
        if cls == "PiecewiseConstantDecay":
            return float(c["values"][sum(step > b for b in c["boundaries"])])
        lr0 = float(c["initial_learning_rate"])
        if cls in ("ExponentialDecay", "InverseTimeDecay"):
            p = (math.floor if c.get("staircase") else float)(step / c["decay_steps"])
            return lr0 * c["decay_rate"] ** p if cls == "ExponentialDecay" else lr0 / (1 + c["decay_rate"] * p)
        if cls == "PolynomialDecay":
            steps, end = c["decay_steps"], c.get("end_learning_rate", 1e-4)
            steps *= max(1, math.ceil(step / steps)) if c.get("cycle") else 1
            return (lr0 - end) * (1 - min(step, steps) / steps) ** c.get("power", 1.0) + end
        if cls == "CosineDecay":
            steps, alpha = c["decay_steps"], c.get("alpha", 0.0)
            target, warm = (lr0, 0) if c.get("warmup_target") is None else (c["warmup_target"], c["warmup_steps"])
            step = min(step, steps + warm)
            if step < warm:
                return (target - lr0) * step / warm + lr0
            return target * _cosine((step - warm) / steps, alpha)
        if cls == "CosineDecayRestarts":
            t_mul, m_mul, alpha = c.get("t_mul", 2.0), c.get("m_mul", 1.0), c.get("alpha", 0.0)
            fraction = step / c["first_decay_steps"]
            geometric = t_mul != 1.0  # cycles grow by t_mul; restart = cycles completed, done = their length
            restart = math.floor(math.log(1 - fraction * (1 - t_mul)) / math.log(t_mul) if geometric else fraction)
            done = (1 - t_mul ** restart) / (1 - t_mul) if geometric else restart
            return lr0 * _cosine((fraction - done) / t_mul ** restart, alpha, m_mul ** restart)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError, OverflowError):
        pass
    return None


def _replay(schedule: dict, last: int) -> list[tuple[int, float]]:
    """(step, lr) over steps 0..last: every step of a short run, else a grid plus the schedule's breakpoints."""
    c = schedule.get("config") or {}
    marks = [b + d for b in c.get("boundaries") or () for d in (0, 1)]
    marks += [c.get(k) for k in ("decay_steps", "first_decay_steps", "warmup_steps")]
    steps = {round(k * last / GRID) for k in range(GRID + 1)}
    steps |= {int(m) for m in marks if isinstance(m, (int, float)) and 0 <= m <= last}
    return [(s, lr) for s in sorted(steps) if (lr := lr_at(schedule, s)) is not None]


def _run(cls, *args, plan=None, **kwargs):
    import keras

    model = keras.Sequential([
        keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10, activation="softmax")])
    schedule = getattr(keras.optimizers.schedules, cls)(*args, **kwargs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss="sparse_categorical_crossentropy")
    return {"model": model, **({"epochs": 10, "samples": 3200, "batch_size": 32} if plan is None else plan)}


@bad()
def decay_steps_beyond_run():
    return _run("ExponentialDecay", 1e-3, decay_steps=10000, decay_rate=0.96)


@bad()
def boundaries_beyond_run():
    return _run("PiecewiseConstantDecay", [5000, 8000], [1e-3, 1e-4, 1e-5])


@bad()
def collapses_in_first_epoch():
    return _run("CosineDecay", 1e-3, decay_steps=50)


@good
def decay_fits_run():
    return _run("ExponentialDecay", 1e-3, decay_steps=1000, decay_rate=0.1)


@good
def cosine_over_run():
    return _run("CosineDecay", 1e-3, decay_steps=1000)


@good
def plan_unknown():
    return _run("ExponentialDecay", 1e-3, decay_steps=10000, decay_rate=0.96, plan={})


class ScheduleTrainingMismatch(Rule):
    """The learning-rate schedule's horizon doesn't fit the planned number of training steps.

    ## What it does
    Replays the schedule (ExponentialDecay, InverseTimeDecay, PolynomialDecay, CosineDecay(Restarts),
    PiecewiseConstantDecay) over the planned `epochs x ceil(train samples / batch_size)` steps; flags
    a run that ends before the LR moves by 5%, or an LR below 1e-3 of its start within the first epoch.

    ## Why is this bad?
    A `decay_steps` copied from a long ImageNet recipe never fires on a short run: the schedule is a
    constant in disguise. The opposite mistake decays to ~0 in an epoch and the rest of the run idles.

    ## Example
    ```python
    lr = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=10000, decay_rate=0.96)
    model.fit(x, y, batch_size=32, epochs=10)  # 3200 samples: 1000 steps, the LR falls 0.4%
    ```

    ## Fix
    Derive the horizon from the plan: `decay_steps = epochs * steps_per_epoch` (or a fraction of it).

    ## Source
    Seeds 000/003 (decay_steps=10000).
    """

    code, name, severity = "CNN304", "schedule-training-mismatch", "warning"
    needs, options = ("compile", "plan"), {"min_change": 0.05, "collapse_ratio": 1e-3}

    examples = (decay_steps_beyond_run, boundaries_beyond_run, collapses_in_first_epoch, decay_fits_run,
                cosine_over_run, plan_unknown)

    def check(self, facts):
        schedule, plan, epoch = facts.compile.schedule, facts.plan, facts.plan.steps_per_epoch
        start = lr_at(schedule, 0) if facts.compile.compiled and schedule and epoch else None
        if not start or start <= 0:  # no schedule, an unknown one, no plan, or a warmup from 0
            return
        knob = HORIZON.get(schedule.get("class_name"), "decay_steps")
        what = f"{schedule.get('class_name')} ({knob}={(schedule.get('config') or {}).get(knob)})"
        early, floor = _replay(schedule, epoch - 1), self.opts["collapse_ratio"] * start
        if early and early[-1][1] < floor:  # still down when the first epoch ends (warm restarts climb back)
            step, lr = next(p for p in early if p[1] < floor)
            yield self.finding(f"{what} drops the learning rate from {start:.3g} to {lr:.3g} (below "
                               f"{self.opts['collapse_ratio']:g} of its start) by step {step}, within the first "
                               f"epoch of {epoch} steps: the rest of the run barely trains",
                               fix=f"raise {knob} to span the run, about {plan.total_steps or epoch} steps")
        lrs = [lr for _, lr in _replay(schedule, plan.total_steps - 1)] if plan.total_steps else []
        change = max((abs(lr - start) for lr in lrs), default=0.0) / start
        if len(lrs) > 1 and change < self.opts["min_change"]:
            total = plan.total_steps
            to = f"inside the {total} planned steps" if knob == "boundaries" else f"to about {total}"
            yield self.finding(f"the planned run ends before {what} moves the learning rate: {total} steps "
                               f"({plan.epochs} epochs x {epoch}), LR {start:.3g} at the start and {lrs[-1]:.3g} at "
                               f"the end, a change of {change:.1%}",
                               fix=f"set {knob} {to} (epochs x steps_per_epoch), or drop the schedule")
