"""`[tool.cnnlint]` in the nearest pyproject.toml, validated into a plain Config."""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cnnlint import registry
from cnnlint.errors import UsageError
from cnnlint.finding import SEVERITIES

KEYS = ("select", "extend-select", "ignore", "rules", "overrides", "fail-on", "targets", "data")
TARGET_KEYS = ("target", "data", "batch-size", "epochs", "validation-split", "samples")


@dataclass
class Config:
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severities: dict[str, str] = field(default_factory=dict)  # code -> severity
    options: dict[str, dict] = field(default_factory=dict)  # code -> {option: value}
    overrides: list[dict] = field(default_factory=list)  # {"layers": [...], "ignore": [codes]}
    fail_on: str = "error"
    targets: list[dict] = field(default_factory=list)  # {"target": spec, "data": ..., plan keys}
    data: str | None = None
    path: Path | None = None  # the pyproject.toml it came from

    @property
    def root(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.cnnlint] table."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                if "cnnlint" in tomllib.loads(candidate.read_text()).get("tool", {}):
                    return candidate
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"{candidate}: cannot parse: {exc}") from None
    return None


def load(path: str | Path | None = None, *, start: Path | None = None) -> Config:
    """Read a config file (pyproject.toml or cnnlint.toml), or the nearest pyproject.toml."""
    if path is None:
        path = find_pyproject(start)
        if path is None:
            return Config()
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot parse: {exc}") from None
    table = doc.get("tool", {}).get("cnnlint", doc if path.name != "pyproject.toml" else {})
    return from_dict(table, source=str(path), path=path)


def _strings(value, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where} must be a list of strings, got {value!r}")
    return value


def _check_keys(table: dict, allowed, where: str) -> None:
    for key in table:
        if key not in allowed:
            hint = difflib.get_close_matches(key, allowed, n=1)
            raise UsageError(f"{where}: unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))


def _severity(value, where: str) -> str:
    if value not in SEVERITIES:
        raise UsageError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, got {value!r}")
    return value


def _rule_settings(config: Config, rules: dict, where: str) -> None:
    if not isinstance(rules, dict):
        raise UsageError(f"{where} must be a table")
    for selector, setting in rules.items():
        rule = registry.get(selector)
        spot = f"{where}.{selector}"
        if isinstance(setting, str):
            setting = {"severity": setting}
        if not isinstance(setting, dict):
            raise UsageError(f"{spot} must be a severity string or a table")
        options = {}
        for key, value in setting.items():
            if key == "severity":
                config.severities[rule.code] = _severity(value, spot)
                continue
            option = key.replace("-", "_")
            if option not in rule.options:
                known = ", ".join(o.replace("_", "-") for o in rule.options) or "none"
                raise UsageError(f"{spot}: unknown option {key!r} for {rule.code} (options: {known})")
            if not isinstance(value, type(rule.options[option])) and not (
                    isinstance(value, (int, float)) and isinstance(rule.options[option], (int, float))):
                raise UsageError(f"{spot}: {key} must be {type(rule.options[option]).__name__}, got {value!r}")
            options[option] = value
        config.options[rule.code] = {**config.options.get(rule.code, {}), **options}


def _target(entry, where: str) -> dict:
    if isinstance(entry, str):
        return {"target": entry}
    if not isinstance(entry, dict) or "target" not in entry:
        raise UsageError(f"{where}: each target is a string or a table with a 'target' key")
    _check_keys(entry, TARGET_KEYS, where)
    from cnnlint.facts.plan import check_plan

    check_plan({k.replace("-", "_"): entry.get(k) for k in TARGET_KEYS[2:]},
               name=lambda key: f"{where}: {key.replace('_', '-')}")
    if not isinstance(entry["target"], str) or "data" in entry and not isinstance(entry["data"], str):
        raise UsageError(f"{where}: target and data must be strings")
    return dict(entry)


def from_dict(table: dict, *, source: str = "config", path: Path | None = None) -> Config:
    """Validate a [tool.cnnlint]-shaped dict. Every selector must name a known rule."""
    if not isinstance(table, dict):
        raise UsageError(f"{source}: [tool.cnnlint] must be a table")
    where = f"{source}: [tool.cnnlint]"
    _check_keys(table, KEYS, where)
    config = Config(path=path)
    if "select" in table:
        config.select = _strings(table["select"], f"{where} select")
    config.extend_select = _strings(table.get("extend-select", []), f"{where} extend-select")
    config.ignore = _strings(table.get("ignore", []), f"{where} ignore")
    for selector in [*(config.select or []), *config.extend_select, *config.ignore]:
        registry.resolve(selector)
    _rule_settings(config, table.get("rules", {}), f"{where} rules")
    overrides = table.get("overrides", [])
    if not isinstance(overrides, list):
        raise UsageError(f"{where} overrides must be an array of tables ([[tool.cnnlint.overrides]])")
    for i, item in enumerate(overrides):
        spot = f"{where} overrides[{i}]"
        if not isinstance(item, dict):
            raise UsageError(f"{spot} must be a table")
        _check_keys(item, ("layers", "ignore"), spot)
        layers = _strings(item.get("layers", ["*"]), f"{spot} layers")
        codes = sorted(registry.resolve_all(_strings(item.get("ignore", []), f"{spot} ignore")))
        config.overrides.append({"layers": layers, "ignore": codes, "selectors": item.get("ignore", [])})
    config.fail_on = _severity(table.get("fail-on", "error"), f"{where} fail-on")
    targets = table.get("targets", [])
    if not isinstance(targets, list):
        raise UsageError(f"{where} targets must be a list")
    config.targets = [_target(t, f"{where} targets[{i}]") for i, t in enumerate(targets)]
    if "data" in table:
        if not isinstance(table["data"], str):
            raise UsageError(f"{where} data must be a string")
        config.data = table["data"]
    return config
