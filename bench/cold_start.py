"""Cold start: wall time of `cnnlint` on the clean example against `python -c "import tensorflow"`.

Run: python bench/cold_start.py [--repeat 5]. Prints the medians and their ratio, and the machine.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(cmd) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    lint = [sys.executable, "-m", "cnnlint", "examples/clean_cnn.py:build_model"]
    tf = [sys.executable, "-c", "import tensorflow"]
    wall(tf)  # warm the file cache once for both
    lint_times = [wall(lint) for _ in range(args.repeat)]
    tf_times = [wall(tf) for _ in range(args.repeat)]
    lint_s, tf_s = statistics.median(lint_times), statistics.median(tf_times)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"import tensorflow:           {tf_s:.2f} s (median of {args.repeat})")
    print(f"cnnlint examples/clean_cnn:  {lint_s:.2f} s (median of {args.repeat})")
    print(f"ratio cnnlint / import tf:   {lint_s / tf_s:.2f}")


if __name__ == "__main__":
    main()
