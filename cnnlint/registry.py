"""Find the rules: the built-in package `cnnlint.rules`, then third-party entry points.

Rule selectors (codes, code prefixes, kebab-case names, aliases and `ALL`) resolve here, once,
for the config, the CLI and suppressions alike.
"""
from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import re
from functools import lru_cache
from importlib.metadata import entry_points

from cnnlint.errors import UsageError
from cnnlint.rule import Rule

ENTRY_POINT_GROUP = "cnnlint.rules"
_CODE = re.compile(r"^[A-Z]+[0-9]+$")


def _rules_in(module) -> list[type[Rule]]:
    return [obj for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, Rule) and obj is not Rule and obj.code and obj.__module__ == module.__name__]


def _discover() -> list[type[Rule]]:
    import cnnlint.rules as package

    found: list[type[Rule]] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        found += _rules_in(importlib.import_module(f"{package.__name__}.{info.name}"))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            rules = _rules_in(obj) if inspect.ismodule(obj) else [obj] if inspect.isclass(obj) else list(obj)
            if not all(inspect.isclass(r) and issubclass(r, Rule) and r.code for r in rules):
                raise TypeError("it does not name Rule subclasses with a code")
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not take down every command
            _plugin_failed(ep, exc)
            continue
        found += rules
    return found


def _plugin_failed(ep, exc) -> None:
    from cnnlint.facts.extract import one_line

    _left_out(f"rule plugin {ep.name!r} ({ep.value}) failed to load and is left out: {one_line(exc)}")


def _left_out(text: str) -> None:
    """Say once (discovery is cached), on stderr, that a third-party rule is left out: cnnlint runs without it."""
    import sys

    print(f"cnnlint: warning: {text}", file=sys.stderr)


@lru_cache(maxsize=1)
def all_rules() -> dict[str, type[Rule]]:
    """Every rule class by code, sorted. Duplicate codes or names are an error."""
    by_code: dict[str, type[Rule]] = {}
    names: dict[str, str] = {}
    for cls in _discover():
        clash = next((key for key, table in ((cls.code, by_code), (cls.name, names))
                      if key in table and table[key] is not cls and table[key] != cls.code), None)
        if clash and cls.__module__.startswith("cnnlint.rules"):
            raise RuntimeError(f"duplicate rule {clash!r}: {cls.__module__} and another module")
        if clash:  # a plugin's rule that reuses a built-in code or name: the built-in stays
            _left_out(f"rule {cls.__module__}.{cls.__name__} reuses {clash!r} and is left out")
            continue
        by_code[cls.code] = cls
        names[cls.name] = cls.code
        for alias in getattr(cls, "aliases", ()):
            names[alias] = cls.code
    return dict(sorted(by_code.items()))


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    table = {}
    for code, cls in all_rules().items():
        table[cls.name] = code
        for alias in getattr(cls, "aliases", ()):
            table[alias] = code
    return table


def resolve(selector: str) -> list[str]:
    """Codes that one selector names: `ALL`, a code, a code prefix (`CNN1`), a name or an alias."""
    rules = all_rules()
    token = selector.strip()
    upper = token.upper()
    if upper == "ALL":
        return list(rules)
    if upper in rules:
        return [upper]
    if token.lower() in _names():
        return [_names()[token.lower()]]
    if re.fullmatch(r"[A-Z]+[0-9]*", upper):
        matches = [code for code in rules if code.startswith(upper)]
        if matches:
            return matches
    candidates = list(rules) + list(_names())
    hint = difflib.get_close_matches(token if not _CODE.match(upper) else upper, candidates, n=1)
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise UsageError(f"unknown rule {selector!r}{suggestion}; `cnnlint rule --all` lists them")


def resolve_all(selectors) -> set[str]:
    codes: set[str] = set()
    for selector in selectors or ():
        codes.update(resolve(selector))
    return codes


def get(selector: str) -> type[Rule]:
    """The one rule a code or name names."""
    codes = resolve(selector)
    if len(codes) != 1:
        raise UsageError(f"{selector!r} names {len(codes)} rules; give one code or name")
    return all_rules()[codes[0]]
