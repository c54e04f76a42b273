"""One test per example model that a rule carries: bad ones must fire (on the named layer), good ones not."""
import pytest

from rule_cases import cases, run_example

CASES = list(cases())


@pytest.mark.parametrize("rule,fn", [(r, f) for _, r, f in CASES], ids=[c[0] for c in CASES])
def test_rule_example(rule, fn):
    report = run_example(rule, fn)
    mine = [f for f in report.findings if f.code == rule.code]
    if fn.example_kind == "bad":
        assert mine, f"{rule.code} did not fire on {fn.__name__}; report:\n{report}"
        if fn.example_layer:
            layers = [f.layer for f in mine]
            assert fn.example_layer in layers, f"{rule.code} named {layers}, expected {fn.example_layer}"
    else:
        assert not mine, f"{rule.code} fired on good example {fn.__name__}:\n{report}"
    assert "CNN901" not in report.codes() or rule.code == "CNN901", f"a rule crashed:\n{report}"
