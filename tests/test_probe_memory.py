"""CNN403's memory check: sizes, the analytic estimate, the search, the capped CPU subprocess and the rule."""
import signal
import time

import numpy as np
import pytest

from cnnlint.errors import UsageError
from cnnlint.facts import Facts, MemoryFacts, ProbeFacts
from cnnlint.probe import memory
from cnnlint.probe.memory import check_memory, estimate_bytes, parse_size
from cnnlint.probe.trial import PLAIN_CHARS, plain_error

MiB = 2 ** 20


@pytest.mark.parametrize("text,expected", [
    ("8GiB", 8 * 2 ** 30), ("8 GB", 8 * 10 ** 9), ("512MiB", 512 * MiB), ("1.5GiB", 3 * 2 ** 29), ("64kB", 64000),
    ("64KiB", 65536), ("100", 100), ("100B", 100), ("2mib", 2 * MiB), (4096, 4096)])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["8XB", "", "GiB", "-1GiB", "0", "eight", "8 Gi B", "1e9", True])
def test_parse_size_rejects_junk_in_one_line(text):
    with pytest.raises(UsageError) as err:
        parse_size(text)
    assert "\n" not in str(err.value) and "GiB" in str(err.value)


def _facts(optimizer="adam"):
    import keras
    from keras import layers

    from cnnlint.facts.compile import extract_compile
    from cnnlint.facts.model import extract_model

    model = keras.Sequential([keras.Input((4, 4, 1)), layers.Conv2D(2, 3, padding="same"), layers.Flatten(),
                              layers.Dense(3)])
    model.compile(optimizer=optimizer, loss="mse")
    return model, extract_model(model)[0], extract_compile(model)


def test_estimate_counts_weights_gradients_adam_slots_and_activations():
    import keras

    _, mf, adam = _facts()
    params = 1 * 2 * 9 + 2 + 32 * 3 + 3  # conv + dense
    state = 4 * (params + params + 2 * params)  # weights, gradients, Adam's m and v
    per_sample = 4 * 16 + memory.ACTIVATION_FACTOR * 4 * (32 + 3)  # the input, conv and dense outputs (not Flatten)
    assert [estimate_bytes(mf, adam, b) for b in (1, 2, 10)] == [state + b * per_sample for b in (1, 2, 10)]
    sgd = _facts(keras.optimizers.SGD())[2]
    momentum = _facts(keras.optimizers.SGD(momentum=0.9))[2]
    assert estimate_bytes(mf, adam, 8) - estimate_bytes(mf, sgd, 8) == 2 * 4 * params
    assert estimate_bytes(mf, momentum, 8) - estimate_bytes(mf, sgd, 8) == 4 * params


def test_estimate_grows_linearly_with_the_batch():
    _, mf, cf = _facts()
    sizes = [estimate_bytes(mf, cf, b) for b in (1, 2, 3, 64, 128)]
    assert sizes[2] - sizes[1] == sizes[1] - sizes[0] > 0
    assert sizes[4] - sizes[3] == 64 * (sizes[1] - sizes[0])


def _gpu_present() -> bool:
    from cnnlint.probe.runner import load_backend

    return load_backend().gpu_present()


cpu_only = pytest.mark.skipif("_gpu_present()", reason="a GPU measures instead")


@cpu_only
def test_cpu_without_a_limit_only_estimates():
    model, mf, cf = _facts()
    mem = check_memory(model, np.zeros((4, 4, 4, 1), "float32"), np.zeros((4, 3), "float32"), batch_size=32,
                       model_facts=mf, compile_facts=cf)
    assert (mem.method, mem.fits, mem.trials, mem.estimate_bytes) == ("estimate", None, (), estimate_bytes(mf, cf, 32))


def test_weights_beyond_the_limit_need_no_trial():
    model, mf, cf = _facts()
    mem = check_memory(model, np.zeros((4, 4, 4, 1), "float32"), np.zeros((4, 3), "float32"), batch_size=32,
                       model_facts=mf, compile_facts=cf, limit_bytes=1000)
    assert (mem.method, mem.largest_batch, mem.trials) == ("estimate", 0, ())
    assert "alone need" in mem.error


# --- the search, on a fake device ----------------------------------------------------------------------------------

STATE, FIXED, PER = 4 * MiB, 30 * MiB, 2 * MiB  # the fake model: weights and slots, any fit's overhead, per sample


class FakeDevice:
    """Trial processes answered by a model of memory, with TensorFlow's allocator's history: a batch fits up to
    `largest` in a fresh process; in a process whose earlier step filled NEAR of the room, up to 7% more (the
    allocator holds regions up to the limit); after earlier full-size steps below that, `stricter` less for each
    (up to 4%). A step that fits reports STATE + FIXED + PER x batch. `step_s`, `ready_s`: the seconds each step
    and each start-up take on the fake clock."""

    def __init__(self, largest, room, stricter=0.0, step_s=0.0, ready_s=0.0):
        self.largest, self.room, self.stricter, self.step_s, self.ready_s = largest, room, stricter, step_s, ready_s
        self.now, self.workers = 0.0, []

    def clock(self):
        return self.now

    def start(self):
        worker = FakeWorker(self)
        self.workers.append(worker)
        return worker


class FakeWorker:
    def __init__(self, device):
        self.device, self.started, self.ran, self.sent, self.ready = device, device.now, [], [], False

    def send(self, batch):
        assert all(batch > earlier for earlier in self.ran), (batch, self.ran)  # increasing within a process
        self.sent.append(batch)

    def message(self, deadline):
        device = self.device
        if not self.ready:
            self.ready, device.now = True, max(device.now, self.started + device.ready_s)
            return {"ready": True, "state_bytes": STATE, "fixed_bytes": FIXED}
        batch = self.sent.pop(0)
        device.now += device.step_s
        if device.now > deadline:
            return {"timeout": True}
        full = sum(b >= memory.FRESH * batch for b in self.ran)
        if any(FIXED + PER * b >= memory.NEAR * (device.room - STATE) for b in self.ran):
            largest = device.largest * 1.07
        else:
            largest = device.largest * (1 - min(0.04, device.stricter * max(0, full - 1)))
        fits = batch <= largest
        self.ran.append(batch)
        return {"batch_size": batch, "fits": fits, "peak_bytes": STATE + FIXED + PER * batch if fits else None,
                "error": None if fits else "ResourceExhaustedError: OOM"}

    def kill(self):
        pass


def _run(largest, planned=8192, waste=1.3, guess=None, margin=0.05, stricter=0.01, deadline=1e9, **timing):
    """The search on a fake device whose true largest batch is `largest`: the room is what `waste` times the
    per-sample bytes need at that batch; `guess`: the analytic estimate's largest batch (default: right)."""
    room = STATE + FIXED + int(waste * PER * largest)
    device = FakeDevice(largest, room, stricter, **timing)
    plan = memory.Plan(planned=planned, margin=margin, room=room, guess=guess or largest)
    search = memory._Search(plan, device.start, deadline, memory.MAX_TRIALS, budget=deadline, clock=device.clock)
    search.run()
    search.close()
    return search, memory._measured(search, {})


@pytest.mark.parametrize("waste", [1.0, 1.15, 1.3, 1.5])
@pytest.mark.parametrize("largest", [37, 560, 1018, 3000])
@pytest.mark.parametrize("stricter", [0.0, 0.01])
def test_search_is_close_below_the_truth_in_few_processes(largest, waste, stricter):
    search, found = _run(largest, waste=waste, stricter=stricter)
    assert found["fits"] is False and search.processes <= (4 if largest > 50 else 5) and not search.stop
    assert largest / (1 + memory.STEP) <= found["largest_batch"] <= largest
    assert 0.9 * largest <= found["recommended_batch"] <= largest
    assert found["recommended_batch"] == int(found["largest_batch"] * 0.95)


@pytest.mark.parametrize("guess_off", [1 / 3, 3.0])
@pytest.mark.parametrize("largest", [40, 560, 2000])
def test_an_estimate_off_by_3x_still_finds_it(largest, guess_off):
    search, found = _run(largest, guess=int(largest * guess_off))
    assert largest / (1 + memory.STEP) <= found["largest_batch"] <= largest and search.processes <= 5


@pytest.mark.parametrize("waste", [2.0, 3.0])  # memory per sample grows with the batch: the calibration is off
def test_a_miscalibrated_estimate_costs_processes_not_the_answer(waste):
    search, found = _run(560, waste=waste)
    assert 560 / (1 + memory.STEP) <= found["largest_batch"] <= 560 and search.processes <= 6


def test_never_above_the_true_largest():
    for largest in range(1, 400, 7):
        for waste in (1.0, 1.3, 2.0):
            _, found = _run(largest, planned=512, waste=waste)
            assert found["largest_batch"] <= largest and found["recommended_batch"] <= largest


def test_the_margin_sets_the_recommendation():
    for margin in (0.0, 0.05, 0.2):
        _, found = _run(560, margin=margin)
        assert found["recommended_batch"] == max(1, int(found["largest_batch"] * (1 - margin) + 1e-9))
    assert memory.Plan(planned=100, margin=0.05).wanted == 106 and memory.Plan(planned=100, margin=0).wanted == 100


def test_a_planned_batch_that_fits_is_one_process():
    search, found = _run(560, planned=128)
    assert search.processes == 1 and found["fits"] is True and found["recommended_batch"] == 128
    assert [t.batch for t in search.trials][-1] == 128  # confirmed by a trial at the planned batch itself
    search, found = _run(560, planned=32)  # far below the estimate: the planned batch is the calibration
    assert [t.batch for t in search.trials] == [32] and found["fits"] is True


def test_a_planned_batch_within_the_margin_is_said():
    search, found = _run(560, planned=540)  # 540 fits, 569 (5% more) does not
    assert found["fits"] is True and found["largest_batch"] < 569 and found["recommended_batch"] < 540
    assert search.processes <= 2
    _, found = _run(560, planned=520)  # 548 fits: the margin is there
    assert found["fits"] is True and found["recommended_batch"] == 520


def test_nothing_fits():
    search, found = _run(0, guess=700)
    assert (found["fits"], found["largest_batch"], found["recommended_batch"]) == (False, 0, 0)
    assert search.trials[-1].batch == 1 and search.processes <= 4


def test_the_deadline_stops_the_search_and_keeps_what_it_knows():
    search, found = _run(560, deadline=20, step_s=2.0, ready_s=10.0)
    assert search.stop.startswith("the memory search stopped when its 20 s ran out after")
    assert search.trials and found["fits"] is False and found["largest_batch"] <= 560
    search, found = _run(560, deadline=5, ready_s=10.0)
    assert search.stop == "the memory search stopped when its 5 s ran out before a trial step finished"
    assert not search.trials and found == {}


def test_a_live_process_only_climbs():
    """next_batch never asks a live process for a batch at or below one it ran (FakeWorker.send asserts it)."""
    for largest in (3, 50, 500, 5000):
        for planned in (largest // 2 + 1, largest, 4 * largest):
            _run(largest, planned=planned, waste=1.0)


def _conv_model():
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((32, 32, 3)), layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.Conv2D(16, 3, padding="same", activation="relu"), layers.MaxPooling2D(4), layers.Flatten(),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _sample():
    rng = np.random.default_rng(0)
    return rng.random((16, 32, 32, 3), dtype=np.float32), rng.integers(0, 10, 16)


@pytest.mark.slow
@cpu_only
def test_a_real_search_in_capped_cpu_subprocesses():
    """The one end-to-end search: real trial processes, each fitting batches in increasing order under a 64 MiB
    cap until one fails; the answer is the largest batch that fitted, with the margin below it."""
    from cnnlint.facts.compile import extract_compile
    from cnnlint.facts.model import extract_model

    model = _conv_model()
    weights = [w.copy() for w in model.get_weights()]
    x, y = _sample()
    mem = check_memory(model, x, y, batch_size=1024, model_facts=extract_model(model)[0],
                       compile_facts=extract_compile(model), limit_bytes=64 * MiB, timeout=100)
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))  # the model is untouched
    assert mem.method == "subprocess" and mem.fits is False and mem.limit_bytes == 64 * MiB and mem.margin == 0.05
    largest, trials = mem.largest_batch, list(mem.trials)
    assert 0 < largest < 1024 and (largest, True) in trials
    failed = min(batch for batch, fits in trials if not fits and batch > largest)
    assert failed <= largest * (1 + memory.STEP) + 1  # the answer is bracketed to within STEP
    assert mem.recommended_batch == int(largest * 0.95) and 1 <= mem.processes <= 4
    assert 0 < mem.peak_bytes <= 64 * MiB
    assert mem.error  # the failing step's one-line error (bad_alloc, a crash)


@pytest.mark.slow
def test_a_model_the_subprocess_cannot_load_falls_back_to_the_estimate():
    import keras
    from keras import layers

    from cnnlint.facts.compile import extract_compile
    from cnnlint.facts.model import extract_model

    class Doubling(layers.Layer):  # not registered: another process cannot rebuild it
        def call(self, t):
            return t * 2.0

    model = keras.Sequential([keras.Input((32, 32, 3)), Doubling(), layers.Flatten(),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = _sample()
    mem = check_memory(model, x, y, batch_size=8, model_facts=extract_model(model)[0],
                       compile_facts=extract_compile(model), limit_bytes=2 ** 30, timeout=60)
    assert (mem.method, mem.fits, mem.trials) == ("estimate", None, ())
    assert "cannot load or run the model in a trial subprocess" in mem.error


# --- the rule, on hand-built facts ---------------------------------------------------------------------------------

def _findings(**memory_facts):
    from cnnlint.registry import all_rules

    probe = ProbeFacts(device="CPU", backend="tensorflow", seed=0, samples=16, steps_planned=0, steps_run=0,
                       memory=MemoryFacts(**memory_facts))
    return list(all_rules()["CNN403"]().check(Facts(target="m", probe=probe)))


def test_rule_reports_the_largest_batch_that_fits_and_the_margin():
    [f] = _findings(batch_size=256, fits=False, method="subprocess", peak_bytes=43 * MiB, limit_bytes=64 * MiB,
                    largest_batch=128, recommended_batch=121, margin=0.05, processes=2,
                    trials=((26, True), (128, True), (131, False), (131, False)), error="MemoryError: bad_alloc")
    assert "batch_size=256" in f.message and "64.0 MiB of CPU memory" in f.message
    assert "largest batch size that fits is 128 (peak 43.0 MiB); with a 5% margin, use 121" in f.message
    assert "[trials: 26 ok, 128 ok, 131 no, 131 no; 2 trial processes]" in f.message
    assert f.fix.startswith("use batch_size=121") and f.severity == "error"


def test_rule_warns_when_the_planned_batch_fits_within_the_margin():
    [f] = _findings(batch_size=540, fits=True, method="subprocess", limit_bytes=2 ** 30, largest_batch=548,
                    recommended_batch=520, margin=0.05, processes=1, trials=((54, True), (540, True), (568, False)))
    assert f.severity == "warning" and "batch_size=540 fits" in f.message and "less than the 5% margin" in f.message
    assert "largest batch size that fits is 548" in f.message and f.fix.startswith("use batch_size=520 (5% below")


def test_rule_compares_the_estimate_with_the_limit():
    [f] = _findings(batch_size=64, fits=None, method="estimate", estimate_bytes=9 * 2 ** 30, limit_bytes=8 * 2 ** 30,
                    largest_batch=56, recommended_batch=53, margin=0.05, device="CPU")
    assert "estimated 9.0 GiB" in f.message and "8.0 GiB" in f.message and "batch_size=53" in f.fix
    assert "fits is 56 by the estimate; with a 5% margin, use 53" in f.message


def test_rule_when_nothing_fits():
    [f] = _findings(batch_size=32, fits=None, method="estimate", estimate_bytes=100 * MiB, limit_bytes=64 * MiB,
                    largest_batch=0, error="the weights, gradients and optimizer slots alone need 96.5 MiB")
    assert "not even batch_size=1" in f.message and "smaller" in f.fix


@pytest.mark.parametrize("facts", [
    dict(batch_size=32, fits=True, method="measured", device="GPU:0", peak_bytes=MiB, limit_bytes=80 * 2 ** 30),
    dict(batch_size=32, fits=None, method="estimate", estimate_bytes=10 * 2 ** 30),  # no limit known
    dict(batch_size=32, fits=None, method="estimate", estimate_bytes=7 * 2 ** 30, limit_bytes=8 * 2 ** 30),
    dict(batch_size=32, fits=True, method="subprocess", estimate_bytes=9 * 2 ** 30, limit_bytes=8 * 2 ** 30),
    dict(batch_size=32, fits=True, method="subprocess", limit_bytes=2 ** 30, recommended_batch=32, margin=0.05),
])
def test_rule_is_silent_when_the_step_fits(facts):
    assert _findings(**facts) == []


# --- errors as one plain line ----------------------------------------------------------------------------------------

SITE = "/work/main/.venv/lib/python3.11/site-packages"
GRAPH_ERROR = (  # keras.Model.train_on_batch with a label out of range (TensorFlow 2.21), as str(exc)
    "Graph execution error:\n\nDetected at node compile_loss/sparse_categorical_crossentropy/SparseSoftmaxCrossEntropy"
    "WithLogits/SparseSoftmaxCrossEntropyWithLogits defined at (most recent call last):\n"
    '  File "/tmp/train.py", line 6, in <module>\n\n'
    f'  File "{SITE}/keras/src/backend/tensorflow/trainer.py", line 629, in train_on_batch\n\n'
    f'  File "{SITE}/keras/src/backend/tensorflow/nn.py", line 1438, in sparse_categorical_crossentropy\n\n'
    "Received a label value of 9 which is outside the valid range of [0, 3).  Label values: 7 9\n\t [[{{node "
    "compile_loss/sparse_categorical_crossentropy/SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWith"
    "Logits}}]] [Op:__inference_one_step_on_data_784]")
GRAPH_OOM = (
    'Graph execution error:\n\nDetected at node ones defined at (most recent call last):\n  File "/tmp/m2.py", line '
    f'17, in <module>\n\n  File "{SITE}/tensorflow/dtensor/python/api.py", line 64, in call_with_layout\n\n'
    "OOM when allocating tensor with shape[16384,1048576,1024] and type float on /job:localhost/replica:0/task:0/"
    "device:CPU:0 by allocator mklcpu\n\t [[{{node ones}}]]\nHint: If you want to see a list of allocated tensors "
    "when OOM happens, add report_tensor_allocations_upon_oom to RunOptions for current allocation info. This isn't "
    "available when running in Eager mode.\n [Op:__inference_f_800]")
EAGER_OOM = ("{{function_node __wrapped__Fill_device_/job:localhost/replica:0/task:0/device:CPU:0}} OOM when "
             "allocating tensor with shape[4398046511104] and type float on /job:localhost/replica:0/task:0/device:"
             "CPU:0 by allocator mklcpu [Op:Fill] name: ")
OLD_GPU_OOM = (  # TensorFlow 2.4-2.8 on a GPU: the node inside [[...]] with its frame, a call-stack tail
    "2 root error(s) found.\n  (0) Resource exhausted:  OOM when allocating tensor with shape[256,64,112,112] and "
    "type float on /job:localhost/replica:0/task:0/device:GPU:0 by allocator GPU_0_bfc\n\t [[node sequential/conv2d/"
    "Conv2D (defined at /home/u/train.py:12) ]]\nHint: If you want to see a list of allocated tensors when OOM "
    "happens, add report_tensor_allocations_upon_oom.\n\nFunction call stack:\ntrain_function -> train_function")
KERAS_CALL = ("Exception encountered when calling Sequential.call().\n\n\x1b[1mInput 0 of layer \"dense\" is "
              "incompatible with the layer: expected axis -1 of input shape to have value 8, but received input with "
              "shape (2, 9)\x1b[0m\n\nArguments received by Sequential.call():\n"
              "  • inputs=tf.Tensor(shape=(2, 5, 5, 1))")


def _tf_error(name, text):
    return type(name, (Exception,), {})(text)


@pytest.mark.parametrize("error,expected", [
    (_tf_error("InvalidArgumentError", GRAPH_ERROR),
     "InvalidArgumentError: Received a label value of 9 which is outside the valid range of [0, 3)."),
    (_tf_error("ResourceExhaustedError", GRAPH_OOM), "ResourceExhaustedError: OOM when allocating tensor with "
     "shape[16384,1048576,1024] and type float on CPU:0 by allocator mklcpu"),
    (_tf_error("ResourceExhaustedError", EAGER_OOM), "ResourceExhaustedError: OOM when allocating tensor with "
     "shape[4398046511104] and type float on CPU:0 by allocator mklcpu"),
    (_tf_error("ResourceExhaustedError", OLD_GPU_OOM), "ResourceExhaustedError: Resource exhausted: OOM when "
     "allocating tensor with shape[256,64,112,112] and type float on GPU:0 by allocator GPU_0_bfc"),
    (ValueError(KERAS_CALL), "ValueError: Input 0 of layer \"dense\" is incompatible with the layer: expected axis -1 "
     "of input shape to have value 8, but received input with shape (2, 9)"),
    # the old one-line form the trial sent (whitespace collapsed): the same line
    ("InvalidArgumentError: " + " ".join(GRAPH_ERROR.split()),
     "InvalidArgumentError: Received a label value of 9 which is outside the valid range of [0, 3)."),
    ("trial crashed (killed by signal 6): what():  std::bad_alloc", "trial crashed (killed by signal 6): what(): "
     "std::bad_alloc"),
    (MemoryError(), "MemoryError"),
    ('  File "/work/main/cnnlint/probe/trial.py", line 180, in run', ""),  # a line of stderr that says nothing
    ("Traceback (most recent call last):", ""),
    (None, ""),
])
def test_plain_error_keeps_the_type_and_first_sentence(error, expected):
    line = plain_error(error)
    assert line == expected
    assert plain_error(line) == line  # already plain: unchanged


def test_plain_error_is_short_and_plain_whatever_it_gets():
    long = _tf_error("ResourceExhaustedError", "OOM when allocating tensor with shape[" + "512," * 80 + "3]")
    for error in (long, GRAPH_ERROR, GRAPH_OOM, EAGER_OOM, OLD_GPU_OOM, KERAS_CALL, "x" * 1000):
        line = plain_error(error)
        assert 0 < len(line) <= PLAIN_CHARS and "\n" not in line
        assert not any(bit in line for bit in ('File "', "[[", "{{", "node", "defined at", "Stack trace", "/job:",
                                                "Hint", "\x1b"))
    assert plain_error(long).endswith("...")


@pytest.mark.slow
@cpu_only  # on a GPU a label out of range gives a NaN loss, not an error
def test_a_finding_from_a_real_trial_error_is_one_plain_line():
    """Labels out of range: the trial's warm-up fails inside TensorFlow's graph (an error with node names, frames
    and [[...]]), the search falls back to the estimate, and CNN403 reports it with the trial's error."""
    from cnnlint.facts.compile import extract_compile
    from cnnlint.facts.model import extract_model
    from cnnlint.registry import all_rules

    model = _conv_model()
    x, y = _sample()
    mem = check_memory(model, x, y + 10, batch_size=4096, model_facts=extract_model(model)[0],
                       compile_facts=extract_compile(model), limit_bytes=256 * MiB, timeout=100)
    assert (mem.method, mem.trials) == ("estimate", ())
    probe = ProbeFacts(device="CPU", backend="tensorflow", seed=0, samples=16, steps_planned=0, steps_run=0,
                       memory=mem)
    [finding] = all_rules()["CNN403"]().check(Facts(target="m", probe=probe))
    assert "cannot load or run the model in a trial subprocess: InvalidArgumentError: Received a label value of" \
        in finding.message
    assert not any(bit in finding.message for bit in ('File "', "[[", "node", "\n"))


# --- the time bound and progress -----------------------------------------------------------------------------------

class _Spare:
    def __init__(self, age):
        self.started = time.perf_counter() - age

    def kill(self):
        pass


def test_no_trial_starts_when_the_time_left_cannot_hold_one():
    started = []
    search = memory._Search(memory.Plan(planned=256), lambda: started.append(1), time.perf_counter() + 3, 10,
                            budget=20)
    search.ready_s, search.step_s, search.trials = 5.0, 0.5, [memory.Trial(256, False, 1)]
    search.run()  # the next step needs a new process: 5 s to get ready, 3 s left
    assert search.trials == [memory.Trial(256, False, 1)] and not started
    assert search.stop == "the memory search stopped when its 20 s ran out after 1 trial step"
    search.spares = [_Spare(age=4.8)]  # nearly ready: its step fits in the 3 s left
    assert search._room(new=True)
    search.step_s = 2.9
    assert not search._room(new=True)


def _facts_of(model):
    from cnnlint.facts.compile import extract_compile
    from cnnlint.facts.model import extract_model

    return dict(model_facts=extract_model(model)[0], compile_facts=extract_compile(model))


@pytest.mark.slow
@cpu_only
def test_progress_names_each_trial_and_the_handlers_come_back():
    told, handlers = [], []

    def progress(text):
        told.append(text)
        handlers.append(signal.getsignal(signal.SIGTERM))

    model = _conv_model()
    x, y = _sample()
    before = signal.getsignal(signal.SIGTERM)
    mem = check_memory(model, x, y, batch_size=1024, limit_bytes=64 * MiB, timeout=200, max_trials=2,
                       progress=progress, **_facts_of(model))
    assert told[0] == "memory: starting a trial process" and len(mem.trials) == 2
    assert told[1:] == [f"memory: process 1, batch {batch}" for batch, _ in mem.trials]
    assert "stopped after 2 trial steps" in mem.error
    assert before == signal.SIG_DFL and all(h not in (signal.SIG_DFL, signal.SIG_IGN) for h in handlers)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back


@pytest.mark.slow
@cpu_only
def test_the_search_stops_at_its_deadline():
    """A deadline 3 s away: the first trial process is still importing TensorFlow; the search returns by then,
    saying why (test_the_deadline_stops_the_search_and_keeps_what_it_knows has one that stops mid-way). A
    SIGTERM handler of the caller's own is left in place throughout."""
    handlers = []
    model = _conv_model()
    x, y = _sample()

    def own(signum, frame):
        pass

    old = signal.signal(signal.SIGTERM, own)
    try:
        deadline = time.perf_counter() + 3
        mem = check_memory(model, x, y, batch_size=1024, limit_bytes=64 * MiB, deadline=deadline,
                           progress=lambda text: handlers.append(signal.getsignal(signal.SIGTERM)),
                           **_facts_of(model))
        returned = time.perf_counter()
        assert handlers and all(h is own for h in handlers) and signal.getsignal(signal.SIGTERM) is own
    finally:
        signal.signal(signal.SIGTERM, old)
    assert returned <= deadline + 10  # slack for a loaded machine; killing a worker takes milliseconds
    assert "the memory search stopped when its" in mem.error and "s ran out" in mem.error
    assert mem.method == "estimate" or mem.trials  # what was known before the time ran out is kept
