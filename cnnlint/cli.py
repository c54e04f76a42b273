"""The `cnnlint` command. Exit codes: 0 clean, 1 findings at or above fail-on, 2 usage/config/target
errors (one line on stderr; with several targets the others are still linted and reported), 101 an internal
crash, 130 interrupted."""
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
    probe.add_argument("--probe-timeout", type=float, help="seconds for the whole probe (default: 60, stretched up "
                       "to 180 when a slow model needs it for the 10 steps a verdict needs)")
    probe.add_argument("--probe-seeds", type=int, default=1, help="repeat with N seeds and count the symptoms")
    probe.add_argument("--memory-limit", help="check the plan against a device with this memory, e.g. 8GiB")
    probe.add_argument("--memory-margin", type=float, default=0.05,
                       help="recommend a batch this fraction below the largest that fits (default 0.05)")
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
                   probe_seeds=args.probe_seeds, memory_limit=args.memory_limit,
                   memory_margin=args.memory_margin, config_path=args.config)


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


def _writable(flag: str, path: str | None) -> None:
    """An output file's folder must exist before anything runs (never lose a finished run to a typo)."""
    from pathlib import Path

    if path and not Path(path).resolve().parent.is_dir():
        raise UsageError(f"{flag} {path}: the folder {Path(path).parent} does not exist")


def _check_outputs(args) -> None:
    _writable("--plot", args.plot)
    _writable("--write-baseline", args.write_baseline)
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install matplotlib (or cnnlint[plot])") from None


def _lint_all(jobs, cfg, options, show_progress: bool) -> tuple[list, int]:
    """Every target's report; a target that cannot be linted is reported for itself (its error on stderr and in
    the output) and the others still run. Returns the reports and the worst exit code of broken targets."""
    from cnnlint import targets
    from cnnlint.facts.extract import one_line
    from cnnlint.progress import Progress
    from cnnlint.result import Report

    reports, worst = [], EXIT_CLEAN
    for job in jobs:
        progress = Progress(job["target"]) if show_progress else None
        try:
            reports.append(targets.lint(job, cfg, options, progress=progress))
        except (UsageError, Exception) as exc:  # noqa: BLE001 - one broken target must not lose the others
            if len(jobs) == 1:
                raise
            usage = isinstance(exc, UsageError)
            text = str(exc) if usage else f"internal error: {one_line(exc)} (please report it)"
            named = text if text.startswith(job["target"]) else f"{job['target']}: {text}"
            print(f"cnnlint: error: {named}", file=sys.stderr)
            reports.append(Report(target=job["target"], error=text))
            worst = max(worst, EXIT_USAGE if usage else EXIT_CRASH)
        finally:
            if progress is not None:
                progress.close()
    return reports, worst


def run(argv: list[str]) -> int:
    started = time.perf_counter()
    if argv[:1] == ["rule"]:
        return _rule_command(argv[1:])
    if argv[:1] == ["check"]:
        argv = argv[1:]
    args = _parser().parse_args(argv)
    from cnnlint import config as config_mod
    from cnnlint import engine, registry
    from cnnlint.facts.plan import check_plan
    from cnnlint.report import render

    cfg = config_mod.load(args.config)
    check_plan({key: getattr(args, key) for key in ("batch_size", "epochs", "validation_split", "samples",
                                                    "probe_steps", "probe_seeds")},
               name=lambda key: f"--{key.replace('_', '-')}")
    if not 0 <= args.memory_margin < 0.5:
        raise UsageError(f"--memory-margin must be a fraction in [0, 0.5), got {args.memory_margin:g}")
    if args.probe_timeout is not None and not args.probe_timeout > 0:
        raise UsageError(f"--probe-timeout must be a positive number of seconds, got {args.probe_timeout:g}")
    if args.memory_limit:
        from cnnlint.probe.memory import parse_size

        parse_size(args.memory_limit)  # a typo is a usage error before anything loads
    for selector in [*(args.select or []), *args.extend_select, *args.ignore]:
        registry.resolve(selector)
    engine.require_rules(cfg, select=args.select, extend_select=args.extend_select, ignore=args.ignore,
                         probe=not args.no_probe)
    _check_outputs(args)
    from cnnlint import targets

    options = _options(args)
    jobs = targets.jobs(cfg, args.targets, options)
    show_progress = args.format == "text" and sys.stderr.isatty()
    if show_progress:
        from cnnlint.progress import Progress

        starting = Progress("cnnlint")
        starting.phase("importing TensorFlow and Keras")
    _import_tensorflow()
    if show_progress:
        starting.close()
    with contextlib.redirect_stdout(sys.stderr):  # a factory's prints must not corrupt machine formats
        reports, broken = _lint_all(jobs, cfg, options, show_progress)
    if args.plot:
        _plot(reports, args.plot)
    if args.write_baseline:
        from cnnlint import baseline

        count = baseline.write(args.write_baseline, [r for r in reports if not r.error])
        print(f"cnnlint: wrote {count} findings to {args.write_baseline}", file=sys.stderr)
        return broken or EXIT_CLEAN
    baseline_note = None
    if args.baseline:
        from cnnlint import baseline

        new, fixed = baseline.apply(reports, baseline.load(args.baseline))
        baseline_note = f"{new} new, {fixed} fixed (against baseline {args.baseline})"
    shown = {"quiet": args.quiet, "duration": time.perf_counter() - started, "show_statistics": args.statistics}
    print(render(args.format, reports, **shown) if args.format == "text" else render(args.format, reports))
    if baseline_note:
        print(baseline_note, file=sys.stdout if args.format == "text" else sys.stderr)
    if broken:
        return broken
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
