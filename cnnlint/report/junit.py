"""JUnit XML for CI test reports: `<testsuites name="cnnlint">`, one `<testsuite>` a target.

Each finding is a `<testcase classname="<target>" name="<code> <layer>">` (just `<code>` without a layer;
` #2`, ` #3` ... tell repeats apart). A finding at or above the report's fail-on severity carries a
`<failure type="<code>" message="<message>">`; one below it is a passing testcase whose `<system-out>`
says what was found (it is reported, not failed; `<skipped>` would claim the check did not run).
A target with no failing finding also gets a passing testcase named after the target, so every
target shows up. A target that could not be linted at all (a missing file, a factory that raises) is one
`<error>` testcase; a rule that crashes is itself a finding (CNN901).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from cnnlint.finding import severity_rank

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("?", text)


def _details(finding) -> str:
    lines = [f"{finding.severity} {finding.code} {finding.name}" + (f" at {finding.layer}" if finding.layer else ""),
             finding.message]
    if finding.fix:
        lines.append(f"Fix: {finding.fix}")
    return _clean("\n".join(lines))


def testsuite(report) -> ET.Element:
    suite = ET.Element("testsuite", name=report.target)
    threshold = severity_rank(report.fail_on)
    seen: dict[str, int] = {}
    tests = failures = errors = 0
    if report.error:  # the target could not be linted: an <error>, not a pass
        case = ET.SubElement(suite, "testcase", classname=report.target, name=report.target, time="0")
        ET.SubElement(case, "error", type="target", message=_clean(report.error)).text = _clean(report.error)
        tests, errors = 1, 1
    for finding in report.findings:
        name = f"{finding.code} {finding.layer}" if finding.layer else finding.code
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} #{seen[name]}"
        case = ET.SubElement(suite, "testcase", classname=report.target, name=name, time="0")
        tests += 1
        if severity_rank(finding.severity) >= threshold:
            failures += 1
            failure = ET.SubElement(case, "failure", type=finding.code, message=_clean(finding.message))
            failure.text = _details(finding)
        else:
            ET.SubElement(case, "system-out").text = _details(finding)
    if not failures and not errors:
        ET.SubElement(suite, "testcase", classname=report.target, name=report.target, time="0")
        tests += 1
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    suite.set("time", f"{report.duration:.3f}")
    return suite


def document(reports) -> ET.Element:
    root = ET.Element("testsuites", name="cnnlint")
    suites = [testsuite(r) for r in reports]
    root.extend(suites)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
    root.set("time", f"{sum(r.duration for r in reports):.3f}")
    return root


def render(reports) -> str:
    root = document(reports)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
