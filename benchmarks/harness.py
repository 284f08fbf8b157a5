"""Shared benchmark machinery: time each variant in its own process, report medians and ratios.

Every variant runs in a fresh subprocess (PyTorch's OpenMP threads keep spinning after use and
slow whatever runs next in the same process), with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
from its environment (they are set on this machine for old OpenBLAS builds and slow a current
NumPy), and with one BLAS/OpenMP thread for every library, so all of them do the same work.
Times are medians of repeats of process CPU time (``time.process_time``), which other programs
on a busy machine disturb far less than wall-clock time; compare ratios, not absolute times.
"""

import json
import os
import statistics
import subprocess
import sys
import time

BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def clean_environment():
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES}
    for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[threads] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(__file__))), env.get("PYTHONPATH", "")]
    )
    return env


def median_time(step, *, repeats=15, number=None, warmup=20, budget=0.2):
    """Median seconds per call of ``step()`` over ``repeats`` batches of ``number`` calls."""
    for _ in range(warmup):
        step()
    if number is None:  # enough calls per batch to fill ``budget`` seconds
        start = time.process_time()
        for _ in range(10):
            step()
        number = max(1, int(budget / max((time.process_time() - start) / 10, 1e-7)))
    samples = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(number):
            step()
        samples.append((time.process_time() - start) / number)
    return statistics.median(samples)


def run_variant(script, variant, *args):
    """Run ``script --variant NAME`` in a clean subprocess; it prints one JSON object."""
    command = [sys.executable, script, "--variant", variant, *args]
    done = subprocess.run(
        command, env=clean_environment(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(title, results, baseline, unit="ms", scale=1e3, key="seconds"):
    """Print a table of times and ratios to ``baseline``; return it as markdown lines."""
    base = results[baseline][key]
    lines = [f"### {title}", "", f"| variant | {unit} | vs {baseline} |", "| --- | ---: | ---: |"]
    for name, result in results.items():
        lines.append(f"| {name} | {result[key] * scale:.3f} | {result[key] / base:.2f}x |")
    text = "\n".join(lines)
    print(text + "\n")
    return text


def variant_main(variants):
    """Entry point inside a variant's process: ``--variant NAME`` runs that one and prints JSON."""
    name = sys.argv[sys.argv.index("--variant") + 1]
    print(json.dumps(variants[name]()))


def run_variants(script, variants, names=None):
    """Each variant's result (a variant that fails, e.g. for a missing library, is skipped)."""
    results = {}
    for name in names or variants:
        try:
            results[name] = run_variant(script, name)
        except RuntimeError as error:
            print(f"skipped {name}: {str(error).splitlines()[-1]}")
    return results


def compare(script, variants, title, baseline, names=None, **report_options):
    """Run the variants and print their table against ``baseline``."""
    results = run_variants(script, variants, names)
    if baseline not in results:
        return None
    return report(title, results, baseline, **report_options)


def entry(main, variants):
    """A benchmark script's ``__main__``: one variant in this process, or all of them."""
    if "--variant" in sys.argv:
        variant_main(variants)
    else:
        main(sys.argv[1:] or None)
