"""Import time: ``import ember`` against ``import numpy`` (ember's floor) and ``import torch``.
Each in a fresh interpreter, wall-clock, median of repeats.

Bytecode caches are written and used, as for any installed package (pip compiles them at install
time; a source checkout writes them on its first import). This machine sets
PYTHONDONTWRITEBYTECODE=1, under which an edited checkout recompiles its changed modules on every
import: about 70 ms of ember's 150 ms when this was found. So the variable is removed here and one
unmeasured import of each module comes first.

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
    env = clean_environment()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    samples = []
    for _ in range(1 + repeats):  # the first writes any missing bytecode caches, unmeasured
        done = subprocess.run(
            [sys.executable, "-c", CODE.format(module)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(done.stdout.strip()))
    return statistics.median(samples[1:])


def main(names=None):
    results = {
        name: {"seconds": import_seconds(name)} for name in names or ("numpy", "ember", "torch")
    }
    return report("import time", results, "numpy")


if __name__ == "__main__":
    main(sys.argv[1:] or None)
