"""Fast unit tests of the probe rules (CNN401-CNN411, but CNN403) on hand-built ProbeFacts: no fit runs."""
import math

import pytest

from cnnlint import registry
from cnnlint.facts import Facts, PipelineFacts, ProbeFacts
from cnnlint.rule import NotJudged

LN10, LN2 = math.log(10), math.log(2)
NAN, INF = float("nan"), float("inf")


def probe(**kw) -> ProbeFacts:
    losses = tuple(kw.pop("losses", ()))
    base = dict(device="CPU", backend="tensorflow", seed=0, samples=16, steps_planned=max(50, len(losses)),
                steps_run=len(losses), losses=losses, learning_rate=1e-3)
    return ProbeFacts(**{**base, **kw})


def run(code, options=None, **kw):
    rule = registry.all_rules()[code](options)
    return list(rule.check(Facts(target="t", probe=probe(**kw))))


def falling(start=2.3, end=0.01, n=50):
    return [start * (end / start) ** (i / (n - 1)) for i in range(n)]


def plateau(start=2.3, end=1.0, n=50):
    """Falls to `end` over the first half, then stays there: a model that stopped learning."""
    return falling(start, end, n // 2) + [end] * (n - n // 2)


def flat(value=2.3, n=50, drop=0.0):
    return [value * (1 - drop * i / (n - 1)) for i in range(n)]


@pytest.mark.parametrize("code", ["CNN401", "CNN402", "CNN404", "CNN405", "CNN406", "CNN407", "CNN408", "CNN409",
                                  "CNN410", "CNN411"])
def test_every_probe_rule_is_quiet_on_empty_measurements(code):
    rule = registry.all_rules()[code]
    assert rule.phase == "probe" and rule.needs == ("probe",)
    assert run(code) == []


def test_severities_follow_the_catalogue():
    rules = registry.all_rules()
    assert {c: rules[c].severity for c in ("CNN401", "CNN402", "CNN404", "CNN405", "CNN406", "CNN407", "CNN408",
                                           "CNN409", "CNN410", "CNN411")} == {
        "CNN401": "error", "CNN402": "warning", "CNN404": "warning", "CNN405": "warning", "CNN406": "warning",
        "CNN407": "error", "CNN408": "warning", "CNN409": "warning", "CNN410": "warning", "CNN411": "info"}


# CNN401 diverging-loss ----------------------------------------------------------------------------------------------

def test_cnn401_nan_names_the_step_and_the_suggested_rate():
    [f] = run("CNN401", initial_loss=1.0, losses=[1.0, 0.9, 1.2, NAN, NAN], learning_rate=3.0, lr_suggestion=0.3)
    assert "nan at step 3" in f.message and "learning rate 3 " in f.message
    assert "0.3" in f.fix and f.severity == "error" and f.layer is None


def test_cnn401_spike_just_above_3x_fires_and_exactly_3x_does_not():
    [f] = run("CNN401", initial_loss=1.0, losses=[1.0, 3.01, 0.5, 0.2])
    assert "at step 1" in f.message and "3.01" in f.message
    assert run("CNN401", initial_loss=1.0, losses=[1.0, 3.0, 0.5, 0.2]) == []


def test_cnn401_spike_then_nan_names_both_steps():
    [f] = run("CNN401", initial_loss=1.0, losses=[1.0, 5.0, NAN], learning_rate=None)
    assert "at step 1" in f.message and "nan at step 2" in f.message and "10x" in f.fix


def test_cnn401_end_above_start_fires_without_a_suggestion():
    [f] = run("CNN401", initial_loss=1.0, losses=[1.0] + [0.9] * 4 + [1.2] * 6, learning_rate=0.1)
    assert "ended at 1.2" in f.message and "0.01" in f.fix


def test_cnn401_noise_on_a_flat_curve_is_not_a_rise():
    # Adadelta at 0.001 barely moves: a 0.3% wobble above the start is a stall (CNN402), not divergence
    flat = [1.0, 1.001, 0.999, 1.003, 1.002, 1.003]
    assert run("CNN401", initial_loss=1.0, losses=flat) == []
    assert [f.code for f in run("CNN402", initial_loss=1.0, losses=flat * 3)] == ["CNN402"]


def test_cnn401_healthy_run_near_zero_is_not_compared_with_its_minimum():
    assert run("CNN401", initial_loss=2.3, losses=falling() + [0.02]) == []


def test_cnn401_falls_back_to_the_first_loss_when_step_0_is_missing_or_nan():
    assert run("CNN401", initial_loss=None, losses=[1.0, 3.5]) != []
    assert run("CNN401", initial_loss=NAN, losses=[1.0, 0.5]) == []


# CNN402 stalled-loss ------------------------------------------------------------------------------------------------

def test_cnn402_fires_below_5_percent_and_not_above():
    [f] = run("CNN402", initial_loss=2.3, losses=flat(drop=0.049))
    assert "4.9%" in f.message and f.severity == "warning"
    assert run("CNN402", initial_loss=2.3, losses=flat(drop=0.051)) == []


def test_cnn402_uses_the_lowest_of_the_last_steps():
    losses = flat()[:-3] + [2.0, 2.3, 2.3]
    assert run("CNN402", initial_loss=2.3, losses=losses) == []


def test_cnn401_with_few_steps_judges_a_spike_but_not_a_rise():
    assert run("CNN401", initial_loss=1.0, losses=[1.0, 9.0, 2.0], budget_hit="timeout") != []
    with pytest.raises(NotJudged, match="it needs 10"):
        run("CNN401", initial_loss=1.0, losses=[1.0, 1.0, 1.1], budget_hit="timeout")


def test_cnn402_is_quiet_when_converged_diverged_or_cut_short():
    assert run("CNN402", initial_loss=1e-5, losses=flat(1e-5)) == []
    assert run("CNN402", initial_loss=2.3, losses=flat()[:-1] + [NAN]) == []
    with pytest.raises(NotJudged, match=r"only 5 steps ran before the probe's time ran out .*it needs 10"):
        run("CNN402", initial_loss=2.3, losses=flat(n=5), budget_hit="timeout")  # not judged, never clean
    assert run("CNN402", initial_loss=2.3, losses=flat(n=5), stopped_early=True) == []  # memorized: it learns
    assert run("CNN402", initial_loss=2.3, losses=flat(n=20), budget_hit="timeout") != []


# CNN404 initial-loss-off --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("factor,fires", [(3.01, True), (2.99, False), (1.0, False), (0.31, False), (0.29, True)])
def test_cnn404_thresholds(factor, fires):
    found = run("CNN404", task="classification", classes=10, initial_loss=factor * LN10)
    assert bool(found) == fires


def test_cnn404_binary_uses_two_classes_and_regression_is_skipped():
    [f] = run("CNN404", task="binary", classes=None, initial_loss=0.1 * LN2)
    assert "ln(2)" in f.message
    assert run("CNN404", task="regression", initial_loss=100.0) == []
    assert run("CNN404", task="classification", classes=None, initial_loss=100.0) == []
    assert run("CNN404", task="classification", classes=1, initial_loss=100.0) == []
    assert run("CNN404", task="classification", classes=10, initial_loss=NAN) == []


# CNN405 cannot-overfit-batch ----------------------------------------------------------------------------------------

def test_cnn405_accuracy_threshold():
    [f] = run("CNN405", task="classification", classes=10, initial_loss=2.3, losses=plateau(end=1.0),
              final_loss=1.0, final_accuracy=0.9375)
    assert "94%" in f.message
    assert run("CNN405", task="classification", classes=10, initial_loss=2.3, losses=plateau(end=1.0),
               final_loss=1.0, final_accuracy=0.95) == []


def test_cnn405_waits_while_the_loss_still_falls():  # a slow learner at 50 steps is not a starved model
    assert run("CNN405", task="classification", classes=10, initial_loss=2.3, losses=falling(end=1.0),
               final_loss=1.0, final_accuracy=0.5) == []
    assert run("CNN405", task="classification", classes=10, initial_loss=2.3, losses=plateau(end=1.0),
               final_loss=1.0, final_accuracy=0.5) != []


def test_cnn405_judges_classifiers_by_accuracy_alone():  # label smoothing keeps the loss up
    assert run("CNN405", task="classification", classes=10, initial_loss=2.3, losses=falling(end=0.6),
               final_loss=0.6, final_accuracy=1.0) == []


def test_cnn405_loss_threshold_for_regression_and_for_missing_accuracy():
    assert run("CNN405", task="regression", initial_loss=1.0, losses=plateau(1.0, 0.1), final_loss=0.1) != []
    assert run("CNN405", task="regression", initial_loss=1.0, losses=plateau(1.0, 0.099), final_loss=0.099) == []
    assert run("CNN405", task="classification", classes=10, initial_loss=2.3, losses=plateau(end=1.0),
               final_loss=1.0, final_accuracy=None) != []


def test_cnn405_is_quiet_when_diverged_or_the_budget_cut_it_short():
    assert run("CNN405", task="regression", initial_loss=1.0, losses=[1.0, 5.0, 0.9], final_loss=0.9) == []
    assert run("CNN405", task="regression", initial_loss=1.0, losses=[1.0, 0.9, NAN], final_loss=NAN) == []
    short = dict(task="regression", initial_loss=1.0, final_loss=0.9, budget_hit="timeout")
    with pytest.raises(NotJudged, match="only 10 steps ran .*it needs 30"):
        run("CNN405", losses=plateau(1.0, 0.9, n=10), steps_planned=200, **short)
    assert run("CNN405", losses=plateau(1.0, 0.9, n=60), steps_planned=200, **short) != []
    with pytest.raises(NotJudged, match=r"only 20 steps ran \(--probe-steps 50\); it needs 30"):
        run("CNN405", task="regression", initial_loss=1.0, final_loss=0.9, losses=plateau(1.0, 0.9, n=20))
    memorized = dict(task="regression", initial_loss=1.0, final_loss=0.5, stopped_early=True)
    assert run("CNN405", losses=plateau(1.0, 0.5, n=40), **memorized) == []


# CNN406 vanishing-gradients -----------------------------------------------------------------------------------------

def grads(first, last, mean_abs=(1e-3, 1e-3)):
    return dict(trainable_order=("conv", "out"), grad_norms={"conv": (first, first), "out": (last, last)},
                grad_mean_abs=dict(zip(("conv", "out"), mean_abs)))


def test_cnn406_ratio_needs_both_conditions():
    [f] = run("CNN406", **grads(5e-5, 0.1))  # ratio 5e-4, first < 1e-4
    assert f.layer == "conv" and "out" in f.message
    assert run("CNN406", **grads(5e-5, 0.04)) == []  # ratio 1.25e-3
    assert run("CNN406", **grads(2e-4, 1000.0)) == []  # first not below 1e-4


def test_cnn406_mean_abs_names_each_layer_but_skips_exact_zeros():
    [f] = run("CNN406", **grads(0.1, 0.1, mean_abs=(9e-8, 1e-3)))
    assert f.layer == "conv" and "9e-08" in f.message
    assert run("CNN406", **grads(0.1, 0.1, mean_abs=(1.1e-7, 1e-3))) == []
    assert run("CNN406", **grads(0.0, 0.1, mean_abs=(0.0, 1e-3))) == []  # dead path: CNN408's
    assert run("CNN406", **grads(NAN, 0.1, mean_abs=(NAN, 1e-3))) == []


# CNN407 exploding-gradients -----------------------------------------------------------------------------------------

def test_cnn407_nonfinite_gradient_names_the_step_and_layer():
    [f] = run("CNN407", trainable_order=("conv", "out"), nonfinite_grad_step=2,
              grad_norms={"conv": (1.0, 10.0, 50.0), "out": (1.0, 10.0, INF)})
    assert "step 2" in f.message and f.layer == "out" and f.severity == "error"


@pytest.mark.parametrize("first,fires", [(71.0, True), (69.0, False)])
def test_cnn407_ratio_threshold(first, fires):
    assert bool(run("CNN407", **grads(first, 1.0))) == fires


def test_cnn407_norm_threshold_reports_the_first_step_over_it():
    [f] = run("CNN407", trainable_order=("conv", "out"),
              grad_norms={"conv": (1.0, 2.0, 3.0), "out": (1.0, 1.1e6, 2e6)})
    assert f.layer == "out" and "step 1" in f.message
    assert run("CNN407", trainable_order=("conv", "out"), grad_norms={"conv": (1.0,), "out": (9e5,)}) == []
    assert run("CNN407", **grads(5.0, 0.0)) == []  # no last-layer gradient: no ratio


# CNN408 dead-relu / CNN409 saturated-activations --------------------------------------------------------------------

def test_cnn408_threshold_per_layer():
    found = run("CNN408", dead_units={"conv": 0.7, "hidden": 0.69, "other": 1.0})
    assert sorted(f.layer for f in found) == ["conv", "other"]


def test_cnn409_threshold_per_layer_and_the_output_is_left_out():
    found = run("CNN409", trainable_order=("a", "b", "out"), saturated={"a": 0.51, "b": 0.5, "out": 1.0})
    assert [f.layer for f in found] == ["a"]


# CNN410 input-pipeline-bound ----------------------------------------------------------------------------------------

def test_cnn410_wait_share():
    [f] = run("CNN410", pipeline=PipelineFacts(wait_s=0.06, step_s=0.04, batches=5))
    assert "60%" in f.message and "60 ms" in f.message
    assert run("CNN410", pipeline=PipelineFacts(wait_s=0.04, step_s=0.04, batches=5)) == []
    assert run("CNN410", pipeline=PipelineFacts(wait_s=0.0, step_s=0.0, batches=0)) == []


# CNN411 update-ratio-out-of-range -----------------------------------------------------------------------------------

def test_cnn411_too_fast_and_too_slow():
    found = run("CNN411", trainable_order=("a", "b", "c", "d"), initial_loss=2.3, losses=flat(drop=0.1),
                update_ratios={"a": -0.9, "b": -1.0, "c": -4.0, "d": -4.1})
    assert [(f.layer, f.severity) for f in found] == [("a", "info"), ("d", "info")]
    assert "too high" in found[0].message and "too low" in found[1].message


def test_cnn411_frozen_layer_and_nan():
    found = run("CNN411", trainable_order=("a", "b"), update_ratios={"a": -30.0, "b": NAN}, losses=flat())
    assert [f.layer for f in found] == ["a"] and "do not move at all" in found[0].message


def test_cnn411_too_slow_is_quiet_once_the_batch_is_memorized():
    kw = dict(trainable_order=("a",), update_ratios={"a": -4.6}, initial_loss=2.3)
    assert run("CNN411", losses=falling(end=0.01), **kw) == []
    assert run("CNN411", losses=falling(end=1.0), **kw) != []
    assert run("CNN411", trainable_order=("a",), update_ratios={"a": 0.5}, losses=falling(end=0.01)) != []
