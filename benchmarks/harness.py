"""Shared benchmark machinery: time each variant in its own process, report medians and ratios.

Every variant runs in a fresh subprocess (PyTorch's OpenMP threads keep spinning after use and
slow whatever runs next in the same process), with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
from its environment (they are set on this machine for old OpenBLAS builds and slow a current
NumPy), and with one BLAS/OpenMP thread for every library, so all of them do the same work.
Times are medians of repeats of process CPU time (``time.process_time``), which other programs
on a busy machine disturb far less than wall-clock time; compare ratios, not absolute times.
With ``--rounds N`` on a script's command line every variant runs N times, the rounds interleaved,
and the table gives each variant's median ratio to the baseline and its range over the rounds.
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


def paired_ratios(steps, baseline, *, blocks=40, number=100, warmup=50):
    """For step functions run in one process: each one's time over ``baseline``'s, per block of
    ``number`` calls, the blocks alternating between them. Blocks run moments apart, so the
    machine's slow and fast spells (which move ratios taken in separate processes by 0.05x and
    more) mostly cancel. Only for libraries that leave nothing running between calls: not
    PyTorch, whose OpenMP threads spin after use. The steps share the process's caches and heap,
    so a ratio depends on which steps run together: compare versions, not libraries, this way."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    ratios = {name: [] for name in steps}
    for _ in range(blocks):
        seconds = {}
        for name, step in steps.items():
            start = time.process_time()
            for _ in range(number):
                step()
            seconds[name] = time.process_time() - start
        for name in steps:
            ratios[name].append(seconds[name] / seconds[baseline])
    return {name: _summary(r) for name, r in ratios.items()}


def _summary(ratios):
    low, median, high = statistics.quantiles(ratios, n=4)
    return {"median": median, "low": low, "high": high}


def report_paired(title, summaries, baseline):
    """Print the table of :func:`paired_ratios` (median ratio and the middle half of the blocks)."""
    lines = [f"### {title}", "", f"| variant | vs {baseline} | middle half of blocks |"]
    lines.append("| --- | ---: | ---: |")
    for name, s in summaries.items():
        lines.append(f"| {name} | {s['median']:.2f}x | {s['low']:.2f}-{s['high']:.2f}x |")
    text = "\n".join(lines)
    print(text + "\n")
    return text


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
    """Print a table of times and ratios to ``baseline``; return it as markdown lines.

    ``results[name]`` is one measurement (a dict with ``key``) or a list of them, one per round;
    with rounds the table gives medians and the range of the ratio over the rounds."""
    rounds = {name: r if isinstance(r, list) else [r] for name, r in results.items()}
    base = rounds[baseline]
    n = len(base)
    header = f"| variant | {unit} | vs {baseline} |"
    rule = "| --- | ---: | ---: |"
    if n > 1:
        header += f" range over {n} rounds |"
        rule += " ---: |"
    lines = [f"### {title}", "", header, rule]
    for name, runs in rounds.items():
        values = [r[key] for r in runs]
        ratios = [v / b[key] for v, b in zip(values, base)]
        line = f"| {name} | {statistics.median(values) * scale:.3f} | "
        line += f"{statistics.median(ratios):.2f}x |"
        if n > 1:
            line += f" {min(ratios):.2f}-{max(ratios):.2f}x |"
        lines.append(line)
    text = "\n".join(lines)
    print(text + "\n")
    return text


def variant_main(variants):
    """Entry point inside a variant's process: ``--variant NAME`` runs that one and prints JSON."""
    name = sys.argv[sys.argv.index("--variant") + 1]
    print(json.dumps(variants[name]()))


def run_variants(script, variants, names=None, rounds=1):
    """Each variant's result, or with ``rounds`` > 1 a list of results, one per round; the
    rounds interleave the variants, so a slow spell of the machine hits all of them alike. A
    variant that fails (e.g. for a missing library) is skipped."""
    results = {}
    for _ in range(rounds):
        for name in names or variants:
            try:
                results.setdefault(name, []).append(run_variant(script, name))
            except RuntimeError as error:
                print(f"skipped {name}: {str(error).splitlines()[-1]}")
    results = {name: runs for name, runs in results.items() if len(runs) == rounds}
    return results if rounds > 1 else {name: runs[0] for name, runs in results.items()}


def compare(script, variants, title, baseline, names=None, rounds=None, **report_options):
    """Run the variants (``rounds`` times, interleaved; default: ``--rounds N`` on the command
    line, else 1) and print their table against ``baseline``."""
    results = run_variants(script, variants, names, rounds or ROUNDS)
    if baseline not in results:
        return None
    return report(title, results, baseline, **report_options)


def _rounds_option():
    """``--rounds N`` from the command line (removed from sys.argv), else 1."""
    if "--rounds" not in sys.argv:
        return 1
    at = sys.argv.index("--rounds")
    value = int(sys.argv[at + 1])
    del sys.argv[at : at + 2]
    return value


ROUNDS = _rounds_option()


def entry(main, variants):
    """A benchmark script's ``__main__``: one variant in this process, or all of them."""
    if "--variant" in sys.argv:
        variant_main(variants)
    else:
        main(sys.argv[1:] or None)
