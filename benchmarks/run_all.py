"""Run every benchmark and print the tables (paste them into benchmarks/README.md).

    python benchmarks/run_all.py              # each variant once
    python benchmarks/run_all.py --rounds 5   # five interleaved rounds: median ratios and ranges

Each table compares ember with hand-written NumPy (the floor) and PyTorch, each variant in its own
process with one BLAS thread and OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset (see harness.py).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_import  # noqa: E402
import bench_memory  # noqa: E402
import bench_seed_net  # noqa: E402
import bench_tiny_ops  # noqa: E402
import bench_training  # noqa: E402

if __name__ == "__main__":
    for bench in (bench_seed_net, bench_tiny_ops, bench_training, bench_memory, bench_import):
        bench.main()
