"""Datasets that work offline: scikit-learn's bundled digits, and MNIST / Fashion-MNIST read from
their IDX files on disk. Nothing is downloaded at run time."""

from .digits import Split, digits
from .idx import IDXError, read_idx
from .mnist import fashion_mnist, mnist
from .shakespeare import CharVocabulary, char_windows, shakespeare

__all__ = [
    "CharVocabulary",
    "IDXError",
    "Split",
    "char_windows",
    "digits",
    "fashion_mnist",
    "mnist",
    "read_idx",
    "shakespeare",
]
