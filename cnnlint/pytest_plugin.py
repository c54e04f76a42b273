"""pytest plugin (entry point `pytest11`): the `cnnlint` fixture, readable LintFailed failures, and
`pytest --cnnlint`, which adds one test item per `[tool.cnnlint] targets` entry of the rootdir's pyproject.toml.

pytest imports this module on every run, so it imports nothing heavy at module level: cnnlint's
engine, Keras and TensorFlow load only when a target is linted or the fixture is called.
"""
from __future__ import annotations

import os

import pytest

from cnnlint.errors import UsageError
from cnnlint.result import LintFailed

_MARKER = "cnnlint: a `pytest --cnnlint` lint item (select them with -m cnnlint)"
_COLLECTED = pytest.StashKey[bool]()


def pytest_addoption(parser):
    group = parser.getgroup("cnnlint", "lint Keras CNNs ([tool.cnnlint] targets)")
    group.addoption("--cnnlint", action="store_true", default=False,
                    help="add one test item per [tool.cnnlint] targets entry of the rootdir's pyproject.toml")
    group.addoption("--cnnlint-probe", action="store_true", default=False,
                    help="with --cnnlint: also run the probe fit (default: static rules only)")


def pytest_configure(config):
    config.addinivalue_line("markers", _MARKER)


def _pyproject(config):
    return config.rootpath / "pyproject.toml"


def pytest_collect_file(file_path, parent):
    """The rootdir's pyproject.toml becomes a CnnlintFile when --cnnlint is given."""
    config = parent.config
    if config.getoption("cnnlint") and file_path == _pyproject(config):
        return CnnlintFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)  # before -k/-m/--deselect, so they select lint items too
def pytest_collection_modifyitems(session, config, items):
    """When the arguments or testpaths did not reach the rootdir's pyproject.toml, collect it anyway."""
    path = _pyproject(config)
    if not config.getoption("cnnlint") or config.stash.get(_COLLECTED, False):
        return
    if not path.is_file():
        raise pytest.UsageError(f"--cnnlint: no pyproject.toml in the rootdir {config.rootpath}")
    node = CnnlintFile.from_parent(session, path=path)
    report = node.ihook.pytest_make_collect_report(collector=node)
    lint_items = [item for item in report.result or [] if isinstance(item, pytest.Item)] if report.passed else []
    for item in lint_items:
        item.ihook.pytest_itemcollected(item=item)
    node.ihook.pytest_collectreport(report=report)
    items[:0] = lint_items  # lint first: `pytest -x` stops at a broken model before the slow tests


class CnnlintFile(pytest.File):
    """pyproject.toml: one CnnlintItem per target, in the config's order."""

    def collect(self):
        from cnnlint import config as config_mod
        from cnnlint import targets

        self.config.stash[_COLLECTED] = True  # a node pytest filters out by the arguments never gets here
        options = targets.Options(probe=self.config.getoption("cnnlint_probe"))
        try:
            cfg = config_mod.load(self.path)
            jobs = targets.jobs(cfg, [], options)
        except UsageError as exc:
            raise self.CollectError(f"cnnlint: error: {exc}") from None
        seen: dict[str, int] = {}
        for job in jobs:
            target = job["target"]
            seen[target] = seen.get(target, 0) + 1
            name = f"cnnlint[{target}]" if seen[target] == 1 else f"cnnlint[{target}-{seen[target]}]"
            yield CnnlintItem.from_parent(self, name=name, job=job, cfg=cfg, options=options)


class CnnlintItem(pytest.Item):
    """One target, linted through the same path as the `cnnlint` command."""

    def __init__(self, *, job, cfg, options, **kwargs):
        super().__init__(**kwargs)
        self.job, self.cfg, self.options = job, cfg, options
        self.add_marker("cnnlint")
        target = job["target"]
        module = target.rpartition(":")[0] or target
        words = {"cnnlint", target, module, os.path.splitext(os.path.basename(module))[0]}
        self.extra_keyword_matches.update(words)  # -k by target, file or module (the name matches too)

    def runtest(self):
        from cnnlint import targets
        from cnnlint.cli import _import_tensorflow
        from cnnlint.report.text import render

        _import_tensorflow()  # quietly, GPU memory growth on: as the CLI does
        report = targets.lint(self.job, self.cfg, self.options)
        if not report.ok:
            failing = len(report.at_least(report.fail_on))
            raise LintFailed(f"cnnlint found {failing} problem(s) at or above {report.fail_on}:\n" + render([report]))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, UsageError) and not self.config.getoption("fulltrace"):
            return f"cnnlint: error: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, self.name


def _caller(excinfo, config) -> str:
    """`path:line` of the innermost frame outside cnnlint (the test's call), for the failure's last line."""
    package = os.path.dirname(os.path.abspath(__file__))
    for entry in reversed(excinfo.traceback):
        path = os.path.abspath(str(entry.path))
        if not path.startswith(package + os.sep):
            try:
                path = os.path.relpath(path, config.rootpath)
            except ValueError:  # another drive
                pass
            return f"{path}:{entry.lineno + 1}: LintFailed"
    return "LintFailed"


@pytest.hookimpl(hookwrapper=True)  # old-style wrapper: pytest 7's pluggy lacks wrapper=True
def pytest_runtest_makereport(item, call):
    """A LintFailed fails with its message (the findings table and fixes), not a traceback into cnnlint,
    as pytest shows its own `pytest.fail(..., pytrace=False)`; --fulltrace keeps the traceback."""
    outcome = yield
    report, excinfo = outcome.get_result(), call.excinfo
    if (excinfo is not None and report.failed and isinstance(excinfo.value, LintFailed)
            and not item.config.getoption("fulltrace")):
        where = "" if isinstance(item, CnnlintItem) else f"\n\n{_caller(excinfo, item.config)}"
        report.longrepr = f"{excinfo.value}{where}"


@pytest.fixture
def cnnlint():
    """`cnnlint(model, x, y, **kwargs)` is `cnnlint.check`: it returns the Report; `.assert_clean()` fails
    the test with the findings table and the fixes."""
    from cnnlint import check

    return check
