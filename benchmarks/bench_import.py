"""Import time: ``import ember`` against ``import numpy`` (ember's floor) and ``import torch``.
Each in a fresh interpreter, wall-clock, median of repeats.

    python benchmarks/bench_import.py
"""

import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import clean_environment, report  # noqa: E402

CODE = "import time; t = time.perf_counter(); import {0}; print(time.perf_counter() - t)"


def import_seconds(module, repeats=9):
    samples = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", CODE.format(module)],
            env=clean_environment(),
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(done.stdout.strip()))
    return statistics.median(samples)


def main(names=None):
    results = {
        name: {"seconds": import_seconds(name)} for name in names or ("numpy", "ember", "torch")
    }
    return report("import time", results, "numpy")


if __name__ == "__main__":
    main(sys.argv[1:] or None)
