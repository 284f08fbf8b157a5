"""MNIST and Fashion-MNIST from their IDX files on disk; nothing is downloaded.

Each returns a :class:`~ember.data.TensorDataset` of ``(image, label)``: images float32 in [0, 1]
of shape 28x28, labels int64 in 0..9, with the class names in ``.classes``. The files are looked
for in ``root`` itself (the layout of Debian's ``dataset-fashion-mnist`` package and of the
original downloads) and in ``root/<Name>/raw`` (torchvision's layout), gzipped or not.
"""

import os

import numpy

from ..creation import from_numpy
from ..data import TensorDataset
from .idx import IDXError, read_idx

__all__ = ["fashion_mnist", "mnist"]

FASHION_MNIST_ROOT = "/usr/share/datasets/fashion-mnist"
MNIST_ROOT = "/usr/share/datasets/mnist"

_FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
_MNIST_CLASSES = [
    "0 - zero",
    "1 - one",
    "2 - two",
    "3 - three",
    "4 - four",
    "5 - five",
    "6 - six",
    "7 - seven",
    "8 - eight",
    "9 - nine",
]


def fashion_mnist(root=None, train=True):
    """Fashion-MNIST's 60,000 training or 10,000 test images (``train=False``).

    ``root`` defaults to ``/usr/share/datasets/fashion-mnist``, where Debian's
    ``dataset-fashion-mnist`` package puts the files (``apt-get install dataset-fashion-mnist``).
    """
    how = (
        "install Debian's package (apt-get install dataset-fashion-mnist), which puts them in "
        f"{FASHION_MNIST_ROOT}, or download them from "
        "https://github.com/zalandoresearch/fashion-mnist and pass their directory as root= "
        "(--root on the command line)"
    )
    return _load(
        "Fashion-MNIST", "FashionMNIST", root or FASHION_MNIST_ROOT, train, _FASHION_CLASSES, how
    )


def mnist(root=None, train=True):
    """MNIST's 60,000 training or 10,000 test digits (``train=False``), from ``root``
    (default ``/usr/share/datasets/mnist``)."""
    how = (
        "put the four files of http://yann.lecun.com/exdb/mnist/ (or a mirror) in that "
        "directory, or pass the directory holding them as root= (--root on the command line)"
    )
    return _load("MNIST", "MNIST", root or MNIST_ROOT, train, _MNIST_CLASSES, how)


def _load(name, torchvision_name, root, train, classes, how):
    prefix = "train" if train else "t10k"
    images = read_idx(_find(root, f"{prefix}-images-idx3-ubyte", torchvision_name, name, how))
    labels_path = _find(root, f"{prefix}-labels-idx1-ubyte", torchvision_name, name, how)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != numpy.uint8:
        raise IDXError(
            f"{name} images should be a uint8 array of N x rows x columns, "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.shape != images.shape[:1] or labels.dtype != numpy.uint8:
        raise IDXError(
            f"{labels_path}: expected {images.shape[0]} uint8 labels (one per image), "
            f"got {labels.dtype} of shape {labels.shape}"
        )
    if labels.size and labels.max() >= len(classes):
        raise IDXError(f"{labels_path}: label {labels.max()} is not a class of {name} (0..9)")
    pixels = images.astype(numpy.float32)
    pixels /= 255  # as torchvision's ToTensor: a division, not a multiplication by 1/255
    dataset = TensorDataset(from_numpy(pixels), from_numpy(labels.astype(numpy.int64)))
    dataset.classes = list(classes)
    return dataset


def _find(root, stem, torchvision_name, name, how):
    """The path of ``stem`` (gzipped or not) under ``root``, or a FileNotFoundError saying how to
    get it."""
    places = [root, os.path.join(root, torchvision_name, "raw")]
    for place in places:
        for filename in (stem + ".gz", stem):
            path = os.path.join(place, filename)
            if os.path.isfile(path):
                return path
    raise FileNotFoundError(
        f"{name}: no {stem}.gz in {root}"
        + (" (the directory does not exist)" if not os.path.isdir(root) else "")
        + f" nor in {places[1]}. ember downloads nothing: to get the files, {how}."
    )
