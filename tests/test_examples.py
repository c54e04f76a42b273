"""The CLI on every example: the findings each must produce, and those it must not."""
import pytest

from helpers import EXAMPLES, run_json

# (module, extra CLI args, codes that must appear, codes that must not, exit code)
CASES = [
    ("seed000_raw_uint8", ["--epochs", "10"], {"CNN101", "CNN102", "CNN103", "CNN303", "CNN304"}, set(), 1),
    ("seed000_raw_uint8_fixed", ["--epochs", "10"], set(), {"CNN101", "CNN102", "CNN103", "CNN303", "CNN304"}, 0),
    ("seed002_high_lr", [], {"CNN303"}, set(), 0),
    ("seed002_high_lr_fixed", [], set(), {"CNN303"}, 0),
    ("seed001_capacity", [], {"CNN303"}, set(), 0),
    ("seed001_capacity_fixed", [], set(), {"CNN303"}, 0),
    ("seed002_overfit", [], {"CNN204"}, set(), 0),
    ("seed002_overfit_fixed", [], set(), {"CNN204", "CNN109"}, 0),
    ("seed002_underfit", [], set(), {"CNN204"}, 0),
    ("seed002_underfit_fixed", ["--samples", "60000"], set(), {"CNN204"}, 0),
    ("clean_cnn", ["--batch-size", "32", "--epochs", "10"], set(), None, 0),
]


@pytest.mark.parametrize("module,args,must,must_not,exit_code", CASES, ids=[c[0] for c in CASES])
def test_example(capsys, module, args, must, must_not, exit_code):
    code, doc, err = run_json(capsys, EXAMPLES / f"{module}.py:build_model", *args)
    codes = {f["code"] for f in doc["findings"]}
    assert must <= codes, f"missing {must - codes}; got {codes}"
    if must_not is None:
        assert not codes, f"the clean example got findings: {doc['findings']}"
    else:
        assert not (must_not & codes), f"unexpected {must_not & codes}"
    assert "CNN901" not in codes and "CNN902" not in codes
    assert code == exit_code, err
