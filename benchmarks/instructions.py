"""Framework overhead as a count of CPU instructions per step, which repeats exactly on a busy
machine where times move by 30%: valgrind's callgrind counts what one process executes.

Each scenario runs on arrays of one or four elements, so the array work is next to nothing and
the count is the bookkeeping: Python objects, graph recording, the backward walk, dispatch.
A step's count is the difference between runs of 2N and N steps, over N (start-up cancels). String
hashing is seeded the same in every run: with random seeds, dict layouts (and counts) vary by ~4%.

    python benchmarks/instructions.py            # every scenario (needs valgrind; ~3 minutes)
    python benchmarks/instructions.py seed chain
    python benchmarks/instructions.py --expr "h.sum()" "numpy.add.reduce(H, None)"

``--expr`` counts one evaluation of each expression, in a namespace of 1x1 float32 tensors: ``x``
(data), ``w`` (requires grad, with a ``.grad``), ``h = x.mm(w)`` (a non-leaf), their arrays ``X``,
``W``, ``H``, and ``ember``, ``numpy``, ``F`` (``ember.nn.functional``). The empty expression's
count is subtracted, so what is left is the expression's own cost.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_seed_net  # noqa: E402
import bench_tiny_ops  # noqa: E402
from harness import clean_environment  # noqa: E402

STEPS = 100


def _seed(make):
    """A step of ``bench_seed_net``'s builder ``make`` on 1x1 arrays."""
    return lambda: make(*bench_seed_net.data(sizes=(1, 1, 1, 1)))


def _ember():
    import ember

    return ember


def mlp_ember():
    import ember
    from ember import nn, optim

    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 2))
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    xb, yb = ember.randn(1, 1), ember.tensor([1])

    def step():
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


SCENARIOS = {
    "seed": {
        "numpy": _seed(bench_seed_net.numpy_step),
        "ember": _seed(lambda *arrays: bench_seed_net.autograd_step(_ember(), *arrays)),
        "ember-protocol": _seed(bench_seed_net.protocol_step),
    },
    "chain": {
        "numpy": bench_tiny_ops.numpy_step,
        "ember": lambda: bench_tiny_ops.framework_step(_ember()),
    },
    "mlp": {"ember": mlp_ember},
}


def expression(text):
    """A step that evaluates ``text`` 100 times (see ``--expr`` in the module docstring)."""
    import numpy

    import ember

    x = ember.ones(1, 1)
    w = ember.ones(1, 1, requires_grad=True)
    w.grad = ember.ones(1, 1)
    h = x.mm(w)
    names = dict(x=x, w=w, h=h, X=x._data, W=w._data, H=h._data, ember=ember, numpy=numpy)
    names["F"] = ember.nn.functional
    code = compile(text or "None", "<expr>", "eval")

    def step():
        for _ in range(100):
            eval(code, names)

    return step


TITLES = {
    "seed": "Seed 004 net on 1x1 arrays: one step",
    "chain": "100-op chain on shape (4,): forward + backward",
    "mlp": "MLP with SGD and cross-entropy on 1x1 arrays: one step (no NumPy twin)",
}


def count(scenario, variant, steps):
    """Instructions executed by a process that runs ``steps`` steps (after 20 warm-up steps)."""
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={os.path.join(scratch, 'out')}",
                sys.executable,
                __file__,
                "--run",
                scenario,
                variant,
                str(steps),
            ],
            env={**clean_environment(), "PYTHONHASHSEED": "0"},  # same dict layouts every run
            capture_output=True,
            text=True,
            check=True,
        )
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def per_step(scenario, variant):
    return (count(scenario, variant, 2 * STEPS) - count(scenario, variant, STEPS)) / STEPS


def expression_costs(texts):
    empty = per_step("--expr", "")
    lines = ["| expression | instructions |", "| --- | ---: |"]
    for text in texts:
        lines.append(f"| `{text}` | {(per_step('--expr', text) - empty) / 100:,.0f} |")
    print("\n".join(lines))


def main(names=None):
    for scenario in names or SCENARIOS:
        variants = SCENARIOS[scenario]
        counts = {variant: per_step(scenario, variant) for variant in variants}
        base = counts.get("numpy")
        lines = [f"### {TITLES[scenario]}", "", "| variant | instructions | vs numpy |"]
        lines.append("| --- | ---: | ---: |")
        for variant, n in counts.items():
            ratio = f"{n / base:.2f}x" if base else "-"
            lines.append(f"| {variant} | {n:,.0f} | {ratio} |")
        print("\n".join(lines) + "\n")


if __name__ == "__main__":
    if "--run" in sys.argv:
        at = sys.argv.index("--run")
        scenario, variant, steps = sys.argv[at + 1], sys.argv[at + 2], int(sys.argv[at + 3])
        make = SCENARIOS[scenario][variant] if scenario != "--expr" else lambda: expression(variant)
        step = make()
        for _ in range(20 + steps):
            step()
    elif shutil.which("valgrind") is None:
        sys.exit("instructions.py needs valgrind (Debian: apt install valgrind)")
    elif "--expr" in sys.argv:
        expression_costs(sys.argv[sys.argv.index("--expr") + 1 :])
    else:
        main(sys.argv[1:] or None)
