"""One training step (forward + backward of ``output.square().mean()``), float32, against PyTorch:

- an LSTM layer: sequence 64, batch 32, input and hidden size 256;
- a Transformer encoder layer: sequence 128, batch 16, d_model 128, 4 heads, feed-forward 512,
  dropout 0.1 (training mode).

    python benchmarks/bench_models.py [variant ...]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import entry, median_time, report, run_variants  # noqa: E402

LSTM_SHAPE = (64, 32, 256)  # steps, batch, features
TRANSFORMER_SHAPE = (128, 16, 128)  # sequence, batch, d_model


def _input(shape):
    import numpy

    return numpy.random.default_rng(0).standard_normal(shape).astype(numpy.float32)


def _step(lib, model, x):
    params = list(model.parameters())

    def step():
        out = model(x)
        out = out[0] if isinstance(out, tuple) else out
        for p in params:
            p.grad = None
        out.square().mean().backward()

    return step


def _lstm(lib):
    lib.manual_seed(0)
    return lib.nn.LSTM(LSTM_SHAPE[2], LSTM_SHAPE[2]), lib.from_numpy(_input(LSTM_SHAPE))


def _transformer(lib):
    lib.manual_seed(0)
    layer = lib.nn.TransformerEncoderLayer(TRANSFORMER_SHAPE[2], 4, 512, dropout=0.1)
    return layer, lib.from_numpy(_input(TRANSFORMER_SHAPE))


def _torch():
    import torch

    torch.set_num_threads(1)
    return torch


def _ember():
    import ember

    return ember


VARIANTS = {
    "torch-lstm": lambda: {
        "seconds": median_time(_step(_torch(), *_lstm(_torch())), repeats=7, warmup=3)
    },
    "ember-lstm": lambda: {
        "seconds": median_time(_step(_ember(), *_lstm(_ember())), repeats=7, warmup=3)
    },
    "torch-transformer": lambda: {
        "seconds": median_time(_step(_torch(), *_transformer(_torch())), repeats=7, warmup=3)
    },
    "ember-transformer": lambda: {
        "seconds": median_time(_step(_ember(), *_transformer(_ember())), repeats=7, warmup=3)
    },
}


def main(names=None):
    results = run_variants(__file__, VARIANTS, names)
    for model in ("lstm", "transformer"):
        chosen = {k: v for k, v in results.items() if k.endswith(model)}
        if f"torch-{model}" in chosen:
            report(f"{model}: one training step", chosen, f"torch-{model}")


if __name__ == "__main__":
    entry(main, VARIANTS)
