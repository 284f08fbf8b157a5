"""Peak memory (max RSS) of running seed 004's net for 200 steps: hand-written NumPy, ember
autograd, PyTorch autograd, each in its own process.

    python benchmarks/bench_memory.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import compare, entry  # noqa: E402

STEPS = 200


def _peak():
    import resource

    return {"bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def _run(step):
    for _ in range(STEPS):
        step()
    return _peak()


def numpy_variant():
    import bench_seed_net

    return _run(bench_seed_net.numpy_step(*bench_seed_net.data()))


def _framework(lib):
    import bench_seed_net

    return _run(bench_seed_net.autograd_step(lib, *bench_seed_net.data()))


def ember_variant():
    import ember

    return _framework(ember)


def torch_variant():
    import torch

    torch.set_num_threads(1)
    return _framework(torch)


VARIANTS = {"numpy": numpy_variant, "ember": ember_variant, "torch": torch_variant}


def main(names=None):
    title = "Peak memory, seed 004 net, 200 steps"
    return compare(
        __file__, VARIANTS, title, "numpy", names, unit="MiB", scale=1 / 2**20, key="bytes"
    )


if __name__ == "__main__":
    entry(main, VARIANTS)
