"""The `cnnlint` command. Exit codes: 0 clean, 1 findings at or above fail-on, 2 usage/config/target
errors (one line on stderr), 101 an internal crash."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time

from cnnlint.errors import UsageError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_CRASH = 0, 1, 2, 101


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other usage error
        raise UsageError(f"{message} (see `cnnlint --help`)")


def _csv(value: str) -> list[str]:
    return [v for v in (s.strip() for s in value.split(",")) if v]


def _parser() -> argparse.ArgumentParser:
    from cnnlint import __version__
    from cnnlint.finding import SEVERITIES
    from cnnlint.report import FORMATS

    p = _Parser(prog="cnnlint", description="Lint Keras CNNs before the long training job. "
                "`cnnlint rule CODE` explains a rule; `cnnlint rule --all` lists them.")
    p.add_argument("targets", nargs="*", metavar="TARGET",
                   help="file.py:factory, package.module:factory or model.keras (default: [tool.cnnlint] targets)")
    p.add_argument("--data", help="sample batch: file.npz (x, y), file.py:function, or a folder of class subfolders")
    plan = p.add_argument_group("training plan (as in model.fit)")
    plan.add_argument("--batch-size", type=int)
    plan.add_argument("--epochs", type=int)
    plan.add_argument("--validation-split", type=float)
    plan.add_argument("--samples", type=int, help="full training-set size when the batch is only a sample")
    probe = p.add_argument_group("probe fit (runs when there is data and no static error)")
    probe.add_argument("--no-probe", action="store_true", help="static rules only")
    probe.add_argument("--probe-steps", type=int, default=50, help="steps fitting one fixed batch (default 50)")
    probe.add_argument("--probe-timeout", type=float, default=60.0, help="seconds per probe (default 60)")
    probe.add_argument("--probe-seeds", type=int, default=1, help="repeat with N seeds and count the symptoms")
    probe.add_argument("--memory-limit", help="check the plan against a device with this memory, e.g. 8GiB")
    probe.add_argument("--plot", help="save the probe's loss curve and gradient norms to this PNG")
    sel = p.add_argument_group("rule selection")
    sel.add_argument("--select", type=_csv, help="codes, prefixes or names (replaces the config's select)")
    sel.add_argument("--extend-select", type=_csv, default=[])
    sel.add_argument("--ignore", type=_csv, default=[])
    sel.add_argument("--fail-on", choices=SEVERITIES, help="lowest severity that fails the run (default: error)")
    out = p.add_argument_group("output")
    out.add_argument("--format", choices=FORMATS, default="text")
    out.add_argument("--statistics", action="store_true", help="count findings per rule")
    out.add_argument("-q", "--quiet", action="store_true", help="print findings only, no notes")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings fail the run")
    out.add_argument("--write-baseline", metavar="FILE", help="record today's findings and exit 0")
    out.add_argument("--baseline", metavar="FILE", help="report (and fail on) only findings not in FILE")
    p.add_argument("--config", help="a pyproject.toml or cnnlint.toml to read instead of the nearest one")
    p.add_argument("--unsafe", action="store_true", help="load .keras files with safe_mode=False (runs stored code)")
    p.add_argument("--version", action="version", version=f"cnnlint {__version__}")
    return p


def _rule_command(argv) -> int:
    from tabulate import tabulate

    from cnnlint import registry

    p = _Parser(prog="cnnlint rule", description="Show a rule's documentation.")
    p.add_argument("rule", nargs="?", help="a code (CNN103) or a name (input-scale)")
    p.add_argument("--all", action="store_true", help="list every rule")
    p.add_argument("--markdown", action="store_true", help="print the list as a Markdown table")
    args = p.parse_args(argv)
    if args.all or not args.rule:
        rows = [(c, r.name, r.severity, r.summary()) for c, r in registry.all_rules().items()]
        fmt = "github" if args.markdown else "simple"
        print(tabulate(rows, headers=("code", "name", "severity", "summary"), tablefmt=fmt))
        return EXIT_CLEAN
    rule = registry.get(args.rule)
    print(f"# {rule.code} {rule.name}\n\nDefault severity: {rule.severity}. Phase: {rule.phase}.\n")
    print(rule.doc())
    if rule.options:
        print("\n## Options ([tool.cnnlint.rules." + rule.name + "])")
        for key, value in rule.options.items():
            print(f"- {key.replace('_', '-')} = {value!r}")
    return EXIT_CLEAN


def _options(args):
    from cnnlint.targets import Options

    return Options(select=args.select, extend_select=args.extend_select, ignore=args.ignore, fail_on=args.fail_on,
                   data=args.data, batch_size=args.batch_size, epochs=args.epochs,
                   validation_split=args.validation_split, samples=args.samples, unsafe=args.unsafe,
                   probe=not args.no_probe, probe_steps=args.probe_steps, probe_timeout=args.probe_timeout,
                   probe_seeds=args.probe_seeds, memory_limit=args.memory_limit, config_path=args.config)


def _progress_bar(target: str):
    """A one-line progress bar on stderr (a terminal only) while the probe fits."""
    def show(step: int, total: int) -> None:
        done = int(30 * step / max(1, total))
        end = "\n" if step >= total else ""
        print(f"\rprobing {target} [{'#' * done}{'.' * (30 - done)}] {step}/{total}", end=end, file=sys.__stderr__,
              flush=True)

    return show


@contextlib.contextmanager
def _stderr_silenced():
    """Silence file descriptor 2: TensorFlow's C++ start-up logs ignore TF_CPP_MIN_LOG_LEVEL."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _import_tensorflow() -> None:
    """Import TensorFlow and Keras once, quietly (CNNLINT_VERBOSE=1 keeps TensorFlow's logs)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules or os.environ.get("CNNLINT_VERBOSE"):
        return
    with _stderr_silenced():
        try:
            import keras  # noqa: F401
            import tensorflow as tf

            for gpu in tf.config.list_physical_devices("GPU"):  # the CUDA probe logs here, once
                # grow on demand: the probe's memory trials need the GPU memory this process does not use
                tf.config.experimental.set_memory_growth(gpu, True)
        except Exception:  # noqa: BLE001 - the real import below reports it
            pass


def _plot(reports, path: str) -> None:
    from pathlib import Path

    from cnnlint.report.plot import save

    probed = [r for r in reports if r.probe]
    if not probed:
        print("cnnlint: warning: --plot: no probe ran, nothing to plot", file=sys.stderr)
    for i, report in enumerate(probed):
        out = Path(path) if len(probed) == 1 else Path(path).with_stem(f"{Path(path).stem}-{i + 1}")
        save(report, out)


def run(argv: list[str]) -> int:
    if argv[:1] == ["rule"]:
        return _rule_command(argv[1:])
    if argv[:1] == ["check"]:
        argv = argv[1:]
    args = _parser().parse_args(argv)
    from cnnlint import config as config_mod
    from cnnlint import registry
    from cnnlint.report import render

    cfg = config_mod.load(args.config)
    for flag in ("probe_steps", "probe_seeds"):
        if getattr(args, flag) < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be at least 1")
    if args.memory_limit:
        from cnnlint.probe.memory import parse_size

        parse_size(args.memory_limit)  # a typo is a usage error before anything loads
    for selector in [*(args.select or []), *args.extend_select, *args.ignore]:
        registry.resolve(selector)
    from cnnlint import targets

    options = _options(args)
    jobs = targets.jobs(cfg, args.targets, options)
    _import_tensorflow()
    started = time.perf_counter()
    reports = []
    show_progress = args.format == "text" and sys.stderr.isatty()
    with contextlib.redirect_stdout(sys.stderr):  # a factory's prints must not corrupt machine formats
        for job in jobs:
            progress = _progress_bar(job["target"]) if show_progress else None
            reports.append(targets.lint(job, cfg, options, progress=progress))
    if args.plot:
        _plot(reports, args.plot)
    if args.write_baseline:
        from cnnlint import baseline

        count = baseline.write(args.write_baseline, reports)
        print(f"cnnlint: wrote {count} findings to {args.write_baseline}", file=sys.stderr)
        return EXIT_CLEAN
    baseline_note = None
    if args.baseline:
        from cnnlint import baseline

        new, fixed = baseline.apply(reports, baseline.load(args.baseline))
        baseline_note = f"{new} new, {fixed} fixed (against baseline {args.baseline})"
    shown = {"quiet": args.quiet, "duration": time.perf_counter() - started, "show_statistics": args.statistics}
    print(render(args.format, reports, **shown) if args.format == "text" else render(args.format, reports))
    if baseline_note:
        print(baseline_note, file=sys.stdout if args.format == "text" else sys.stderr)
    failed = any(not r.ok for r in reports)
    return EXIT_FINDINGS if failed and not args.exit_zero else EXIT_CLEAN


def main(argv: list[str] | None = None) -> int:
    try:
        code = run(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        print(f"cnnlint: error: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # noqa: BLE001
        from cnnlint.facts.extract import one_line

        print(f"cnnlint: internal error: {one_line(exc)} (please report it; CNNLINT_TRACEBACK=1 shows more)",
              file=sys.stderr)
        if os.environ.get("CNNLINT_TRACEBACK"):
            raise
        code = EXIT_CRASH
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
