"""The wheel ships rules/ as cnnlint.rules and never as a top-level `rules` package."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_maps_rules_into_cnnlint_rules(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, timeout=300)
    wheel = next(tmp_path.glob("cnnlint-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    rule_files = sorted(p.name for p in (ROOT / "rules").glob("cnn*.py"))
    assert rule_files and all(f"cnnlint/rules/{name}" in names for name in rule_files)
    assert not [n for n in names if n.startswith("rules/")]
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_rules_import_only_as_cnnlint_rules():
    """In this (editable) install too: `cnnlint.rules` is the repo's rules/ folder; `rules` is not importable."""
    code = ("import importlib.util, sys, cnnlint.rules as r; from cnnlint import registry; registry.all_rules();"
            "print(r.__path__[0]); print(importlib.util.find_spec('rules') is None); print('rules' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True)
    path, missing, loaded = out.stdout.split()
    assert Path(path).resolve() == (ROOT / "rules").resolve()
    assert missing == "True" and loaded == "False"


def test_importing_cnnlint_does_not_import_tensorflow():
    code = ("import sys, cnnlint, cnnlint.cli, cnnlint.registry as r; r.all_rules();"
            "print(any(m.split('.')[0] in ('tensorflow', 'keras') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
