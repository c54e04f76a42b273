"""CNN403's memory check: sizes, the analytic estimate, the search, the capped CPU subprocess and the rule."""
import numpy as np
import pytest

from cnnlint.errors import UsageError
from cnnlint.facts import Facts, MemoryFacts, ProbeFacts
from cnnlint.probe import memory
from cnnlint.probe.memory import MARGIN, check_memory, estimate_bytes, parse_size

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
