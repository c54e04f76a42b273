"""CNN403's memory check: sizes, the analytic estimate, the search, the capped CPU subprocess and the rule."""
import signal
import time

import numpy as np
import pytest

from cnnlint.errors import UsageError
from cnnlint.facts import Facts, MemoryFacts, ProbeFacts
from cnnlint.probe import memory
from cnnlint.probe.memory import MARGIN, check_memory, estimate_bytes, parse_size
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


class FakeSearch:
    """Trials answered by a threshold: batches up to `fits_up_to` fit."""

    def __init__(self, fits_up_to, max_trials=100):
        self.fits_up_to, self.max_trials, self.trials, self.stop = fits_up_to, max_trials, [], None

    def trial(self, batch):
        if len(self.trials) >= self.max_trials:
            self.stop = "stopped"
            return None
        self.trials.append((batch, batch <= self.fits_up_to))
        return batch <= self.fits_up_to


def test_search_halves_then_bisects_to_within_the_margin():
    search = FakeSearch(37)
    assert memory._search(search, 256) == (False, 37)
    assert search.trials == [(256, False), (128, False), (64, False), (32, True), (48, False), (40, False),
                             (36, True), (38, False), (37, True)]


@pytest.mark.parametrize("threshold", [1, 2, 3, 7, 100, 127, 129, 200, 255])
def test_search_result_is_within_five_percent(threshold):
    search = FakeSearch(threshold)
    fits, largest = memory._search(search, 256)
    assert fits is False and largest <= threshold < largest + max(1, MARGIN * largest)
    assert len(search.trials) <= 14


def test_search_edges_and_bounds():
    assert memory._search(FakeSearch(500), 256) == (True, None)
    none_fit = FakeSearch(0)
    assert memory._search(none_fit, 8) == (False, 0) and [b for b, _ in none_fit.trials] == [8, 4, 2, 1]
    assert memory._search(FakeSearch(37, max_trials=3), 256) == (False, None)  # no fitting batch found yet
    bounded = FakeSearch(37, max_trials=5)
    assert memory._search(bounded, 256) == (False, 32) and bounded.stop  # what is known: 32 fits, 48 does not


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
def test_capped_cpu_subprocess_finds_the_largest_batch():
    """Batch 256 needs ~80 MiB here, batch 128 ~43 MiB: under a 64 MiB cap the search lands in between."""
    from cnnlint.facts.compile import extract_compile
    from cnnlint.facts.model import extract_model

    model = _conv_model()
    weights = [w.copy() for w in model.get_weights()]
    x, y = _sample()
    mem = check_memory(model, x, y, batch_size=256, model_facts=extract_model(model)[0],
                       compile_facts=extract_compile(model), limit_bytes=64 * MiB, timeout=100)
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))  # the model is untouched
    assert mem.method == "subprocess" and mem.fits is False and mem.limit_bytes == 64 * MiB
    largest, trials = mem.largest_batch, list(mem.trials)
    assert 0 < largest < 256 and trials[0] == (256, False)
    hi, lo, i = 256, 0, 1  # replay: halving until a batch fits, then midpoints of (largest fitting, smallest failing)
    while lo == 0:
        assert trials[i][0] == hi // 2
        lo, hi = (hi // 2, hi) if trials[i][1] else (0, hi // 2)
        i += 1
    for batch, fits in trials[i:]:
        assert batch == (lo + hi) // 2
        lo, hi = (batch, hi) if fits else (lo, batch)
    assert lo == largest and (largest, True) in trials
    assert hi <= largest * (1 + MARGIN) + 1  # the next batch up was tried and failed
    assert 0 < mem.peak_bytes <= 64 * MiB
    assert mem.error  # the last failing trial's one-line error (bad_alloc, a crash)


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


def test_rule_reports_the_largest_batch_that_fits():
    [f] = _findings(batch_size=256, fits=False, method="subprocess", peak_bytes=43 * MiB, limit_bytes=64 * MiB,
                    largest_batch=128, trials=((256, False), (128, True), (192, False)), error="MemoryError: bad_alloc")
    assert "batch_size=256" in f.message and "64.0 MiB of CPU memory" in f.message
    assert "largest batch size that fits is 128 (peak 43.0 MiB)" in f.message and "256 no, 128 ok" in f.message
    assert f.fix.startswith("use batch_size=128") and f.severity == "error"


def test_rule_compares_the_estimate_with_the_limit():
    [f] = _findings(batch_size=64, fits=None, method="estimate", estimate_bytes=9 * 2 ** 30, limit_bytes=8 * 2 ** 30,
                    largest_batch=56, device="CPU")
    assert "estimated 9.0 GiB" in f.message and "8.0 GiB" in f.message and "batch_size=56" in f.fix
    assert "fits is 56 by the estimate" in f.message


def test_rule_when_nothing_fits():
    [f] = _findings(batch_size=32, fits=None, method="estimate", estimate_bytes=100 * MiB, limit_bytes=64 * MiB,
                    largest_batch=0, error="the weights, gradients and optimizer slots alone need 96.5 MiB")
    assert "not even batch_size=1" in f.message and "smaller" in f.fix


@pytest.mark.parametrize("facts", [
    dict(batch_size=32, fits=True, method="measured", device="GPU:0", peak_bytes=MiB, limit_bytes=80 * 2 ** 30),
    dict(batch_size=32, fits=None, method="estimate", estimate_bytes=10 * 2 ** 30),  # no limit known
    dict(batch_size=32, fits=None, method="estimate", estimate_bytes=7 * 2 ** 30, limit_bytes=8 * 2 ** 30),
    dict(batch_size=32, fits=True, method="subprocess", estimate_bytes=9 * 2 ** 30, limit_bytes=8 * 2 ** 30),
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


def test_no_trial_starts_when_the_time_left_cannot_hold_one(tmp_path):
    search = memory._Search(tmp_path, "CPU", 64 * MiB, time.perf_counter() + 3, 10, budget=20)
    search.ready_s, search.step_s, search.trials = 5.0, 0.5, [(256, False)]
    assert search.trial(128) is None and search.trials == [(256, False)] and not search.spares
    assert search.stop == "the memory search stopped when its 20 s ran out after 1 trial"
    search.spares = [_Spare(age=4.8)]  # nearly ready: its step fits in the 3 s left
    assert search._room()
    search.step_s = 2.9
    assert not search._room()


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
    mem = check_memory(model, x, y, batch_size=256, limit_bytes=64 * MiB, timeout=200, max_trials=2,
                       progress=progress, **_facts_of(model))
    assert [batch for batch, _ in mem.trials] == [256, 128]
    assert told == ["memory: starting a trial process", "memory: trial 1, batch 256", "memory: trial 2, batch 128"]
    assert before == signal.SIG_DFL and all(h not in (signal.SIG_DFL, signal.SIG_IGN) for h in handlers)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back


@pytest.mark.slow
@cpu_only
def test_the_search_stops_at_its_deadline_and_keeps_what_it_knows():
    """The whole search here takes 35-65 s; with a deadline 12 s away it must return by then, saying why. A
    SIGTERM handler of the caller's own is left in place throughout."""
    handlers = []
    model = _conv_model()
    x, y = _sample()

    def own(signum, frame):
        pass

    old = signal.signal(signal.SIGTERM, own)
    try:
        deadline = time.perf_counter() + 12
        mem = check_memory(model, x, y, batch_size=256, limit_bytes=64 * MiB, deadline=deadline,
                           progress=lambda text: handlers.append(signal.getsignal(signal.SIGTERM)),
                           **_facts_of(model))
        returned = time.perf_counter()
        assert handlers and all(h is own for h in handlers) and signal.getsignal(signal.SIGTERM) is own
    finally:
        signal.signal(signal.SIGTERM, old)
    assert returned <= deadline + 10  # slack for a loaded machine; killing a worker takes milliseconds
    assert "the memory search stopped when its 12 s ran out" in mem.error
    if mem.trials:  # what was known before the time ran out is kept
        assert mem.method == "subprocess" and mem.trials[0] == (256, False) and len(mem.trials) < 7
    else:
        assert mem.method == "estimate"
