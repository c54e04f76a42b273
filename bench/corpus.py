"""The corpus table: every corpus model linted as the CLI lints a factory (static rules, then the probe).

    python bench/corpus.py [--no-probe] [NAME ...]

Prints model, task, parameters, static and probe seconds and the findings (warnings/errors; a listed true
finding is marked `=`), then the count of unlisted warnings/errors and CNN9xx findings: the false alarms.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*")
    parser.add_argument("--no-probe", action="store_true")
    args = parser.parse_args(argv)
    from tabulate import tabulate

    rows, false_alarms, listed, open_alarms = [], 0, 0, 0
    for name in args.names or corpus.names():
        module = corpus.load(name)
        started = time.perf_counter()
        static, params = corpus.lint(name, probe=False)
        static_s = time.perf_counter() - started
        report, probe_s = static, 0.0
        if not args.no_probe:
            started = time.perf_counter()
            report = corpus.lint(name, probe=True)[0]
            probe_s = time.perf_counter() - started - static_s  # the probe run repeats the static phase
        bad = corpus.unlisted(report, module)
        true = getattr(module, "TRUE", {})
        false_alarms += len(bad)
        open_alarms += len(corpus.still_open(report, module))
        listed += sum(1 for f in report.findings if f.code in true and f.severity != "info")
        shown = [f"{'=' if f.code in true and f not in bad else '?' if f.code in getattr(module, 'OPEN', {}) else '!'}"
                 f"{f.code}:{f.severity[0]}"
                 for f in report.findings if f.severity != "info" or f.code.startswith("CNN9")]
        probe_note = "" if args.no_probe else ("probe" if report.probe else "no probe")
        rows.append([name, module.TASK, f"{params:,}", f"{static_s:.1f}", f"{max(probe_s, 0):.1f}",
                     probe_note, " ".join(shown) or "-"])
        print("  ".join(rows[-1]), file=sys.stderr, flush=True)  # progress: a model at a time
        for f in bad:
            print(f"    {f.code} {f.severity}: {f.message}", file=sys.stderr, flush=True)
    print(tabulate(rows, headers=["model", "task", "params", "static s", "probe s", "probe", "findings"]))
    print(f"\n{len(rows)} models; {false_alarms} unlisted warnings/errors (false alarms); {open_alarms} known open "
          f"false alarms (OPEN, marked ?); {listed} listed true findings (marked =)")
    return 1 if false_alarms else 0


if __name__ == "__main__":
    raise SystemExit(main())
