"""Every rule carries the documented sections, a kebab-case name and examples of both kinds."""
import re
import sys

import pytest

from cnnlint import registry
from cnnlint.finding import SEVERITIES

RULES = list(registry.all_rules().values())
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Fix", "## Source")


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_metadata(rule):
    assert re.fullmatch(r"CNN[1-9][0-9]{2}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.severity in SEVERITIES
    assert rule.phase in ("static", "probe")
    assert rule.__module__ == f"cnnlint.rules.{rule.code.lower()}_{rule.name.replace('-', '_')}"
    doc = rule.doc()
    for section in SECTIONS:
        assert section in doc, f"{rule.code} docs lack {section!r}"
    kinds = {fn.example_kind for fn in rule.examples}
    assert kinds == {"bad", "good"}, f"{rule.code} needs at least one bad and one good example"
    for option in rule.options:
        assert option.isidentifier()


def test_codes_and_names_are_unique():
    codes = [r.code for r in RULES]
    names = [r.name for r in RULES]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)


def test_rules_load_only_under_cnnlint_rules():
    assert "rules" not in sys.modules
    assert all(r.__module__.startswith("cnnlint.rules.") for r in RULES)


def test_readme_rules_table_is_in_sync():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme.split("<!-- rules-table")[1].split("<!-- end rules-table -->")[0]
    rows = {tuple(cell.strip() for cell in line.strip("|").split("|")[:3])
            for line in table.splitlines() if line.startswith("| CNN")}
    assert rows == {(r.code, r.name, r.severity) for r in RULES}, "regenerate: cnnlint rule --all --markdown"
