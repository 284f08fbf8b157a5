"""Small character-level language models (a causal Transformer and an LSTM) and sampling from them.

Both map ids ``(N, T)`` to next-character logits ``(N, T, vocab)``; :func:`sample` extends a
prompt one character at a time from the softmax of the last position's logits.
:func:`save_char_model` / :func:`load_char_model` keep weights, options and vocabulary together
(what ``ember generate CHECKPOINT`` reads).
"""

import numpy

from . import nn
from .autograd import no_grad
from .creation import arange, from_numpy
from .random import Generator
from .serialization import load, save

__all__ = ["CharLSTM", "CharTransformer", "load_char_model", "sample", "save_char_model"]


class CharTransformer(nn.Module):
    """Token + learned position embeddings, ``layers`` pre-norm causal encoder layers, a final
    LayerNorm and a Linear to the vocabulary."""

    def __init__(self, vocab_size, context=64, d_model=128, nhead=4, layers=2, dropout=0.0):
        super().__init__()
        self.options = {
            "arch": "transformer",
            "vocab_size": vocab_size,
            "context": context,
            "d_model": d_model,
            "nhead": nhead,
            "layers": layers,
            "dropout": dropout,
        }
        self.context = context
        self.embed = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(context, d_model)
        self.blocks = nn.ModuleList(
            [
                nn.TransformerEncoderLayer(
                    d_model,
                    nhead,
                    dim_feedforward=4 * d_model,
                    dropout=dropout,
                    batch_first=True,
                    norm_first=True,
                )
                for _ in range(layers)
            ]
        )
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, ids):
        length = ids.shape[1]
        if length > self.context:
            raise ValueError(
                f"CharTransformer: sequence of {length} is longer than its context "
                f"of {self.context}"
            )
        x = self.embed(ids) + self.position(arange(length))
        # True above the diagonal = may not attend: position i sees positions 0..i only
        mask = from_numpy(numpy.triu(numpy.ones((length, length), dtype=bool), 1))
        for block in self.blocks:
            x = block(x, src_mask=mask, is_causal=True)
        return self.head(self.norm(x))


class CharLSTM(nn.Module):
    """Embedding, a ``layers``-deep LSTM and a Linear to the vocabulary."""

    def __init__(self, vocab_size, embedding=64, hidden=256, layers=1, context=None):
        super().__init__()
        self.options = {
            "arch": "lstm",
            "vocab_size": vocab_size,
            "embedding": embedding,
            "hidden": hidden,
            "layers": layers,
            "context": context,
        }
        self.context = context  # None: any length
        self.embed = nn.Embedding(vocab_size, embedding)
        self.lstm = nn.LSTM(embedding, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, ids):
        output, _ = self.lstm(self.embed(ids))
        return self.head(output)


def save_char_model(path, model, chars, **extra):
    """Save weights, constructor options and the vocabulary's characters in one checkpoint, with
    anything else needed to resume training (``optimizer=opt.state_dict()``, ``step=...``)."""
    options = {k: v for k, v in model.options.items() if v is not None}
    save({"model": model.state_dict(), "options": options, "chars": "".join(chars), **extra}, path)


def load_char_model(path):
    """``(model, vocabulary)`` from a checkpoint written by :func:`save_char_model`."""
    from .datasets import CharVocabulary

    state = load(path)
    if not isinstance(state, dict) or "options" not in state or "chars" not in state:
        raise ValueError(
            f"{path} is not a character-model checkpoint (expected the keys model, "
            "options and chars that save_char_model writes)"
        )
    options = dict(state["options"])
    arch = options.pop("arch")
    builders = {"transformer": CharTransformer, "lstm": CharLSTM}
    if arch not in builders:
        raise ValueError(f"{path}: unknown character model '{arch}'")
    model = builders[arch](**options)
    model.load_state_dict(state["model"])
    return model, CharVocabulary(state["chars"])


def sample(model, prompt_ids, length, temperature=0.8, generator=None):
    """``length`` new ids after ``prompt_ids`` (a 1-D sequence), drawn from the model's
    softmax at ``temperature``; the window fed back is capped at the model's context."""
    generator = generator or Generator().manual_seed(0)
    ids = [int(i) for i in prompt_ids] or [0]
    context = getattr(model, "context", None)
    was_training = model.training
    model.eval()
    with no_grad():
        for _ in range(length):
            window = ids[-context:] if context else ids
            batch = from_numpy(numpy.asarray([window], dtype=numpy.int64))
            logits = model(batch)[0, -1].numpy().astype(numpy.float64) / max(temperature, 1e-6)
            probabilities = numpy.exp(logits - logits.max())
            probabilities /= probabilities.sum()
            ids.append(int(generator._numpy.choice(len(probabilities), p=probabilities)))
    model.train(was_training)
    return ids[len(prompt_ids) or 1 :]
