"""Every corpus model (real models rebuilt from public expert sources), static and with the probe: no warning
or error that its module does not list as true (with a reason), and no CNN9xx."""
import sys

import pytest

from helpers import ROOT

sys.path.insert(0, str(ROOT))
import corpus  # noqa: E402

NAMES = corpus.names()


def _marks(name):
    return [pytest.mark.slow] if getattr(corpus.load(name), "SLOW", False) else []


def test_corpus_is_large_enough():
    assert len(NAMES) >= 30


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in NAMES])
def test_corpus_model_has_no_false_alarm(name):
    module = corpus.load(name)
    for reason in getattr(module, "TRUE", {}).values():
        assert isinstance(reason, str) and len(reason) > 20, "every listed true finding needs its reason"
    report, _ = corpus.lint(name, probe=True)
    assert report.probe is not None or report.errors, f"the probe did not run on {name}:\n{report.skipped}"
    bad = corpus.unlisted(report, module)
    assert not bad, f"unlisted findings on {name}:\n{report}"
    for code in getattr(module, "OPEN", {}):  # a known false alarm that went away: remove it from OPEN
        assert corpus.still_open(report, module), f"{name}: OPEN {code} no longer fires; remove it"
