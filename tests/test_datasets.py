"""ember.datasets: the IDX reader on files the tests write (whole, truncated, corrupt), MNIST and
Fashion-MNIST from those files, the real Fashion-MNIST when Debian's package is installed, and
scikit-learn's digits."""

import gzip
import os
import sys

import numpy as np
import pytest

import ember
from ember.datasets import IDXError, read_idx
from ember.datasets.mnist import FASHION_MNIST_ROOT

CODES = {
    np.uint8: 0x08,
    np.int8: 0x09,
    np.int16: 0x0B,
    np.int32: 0x0C,
    np.float32: 0x0D,
    np.float64: 0x0E,
}


def idx_bytes(array):
    """An IDX encoding of ``array``, written independently of the reader."""
    array = np.asarray(array)
    header = bytes([0, 0, CODES[array.dtype.type], array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, data, gzipped=True):
    with (gzip.open if gzipped else open)(path, "wb") as f:
        f.write(data)
    return str(path)


# ----- the IDX reader -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("gzipped", [True, False])
def test_idx_round_trip(tmp_path, dtype, gzipped):
    rng = np.random.default_rng(0)
    for shape in [(5,), (3, 4, 2), (2, 1, 3, 2), (0, 3)]:
        array = (rng.standard_normal(shape) * 100).astype(dtype)
        path = write(tmp_path / f"a{len(shape)}.idx", idx_bytes(array), gzipped)
        result = read_idx(path)
        assert result.dtype == np.dtype(dtype) and result.dtype.isnative
        assert result.shape == shape
        np.testing.assert_array_equal(result, array)


def test_idx_truncated_gzip_is_an_error_naming_the_file(tmp_path):
    whole = gzip.compress(idx_bytes(np.arange(2000, dtype=np.int32).reshape(40, 50)))
    for cut in (5, len(whole) // 2, len(whole) - 1):
        path = tmp_path / f"cut{cut}.gz"
        path.write_bytes(whole[:cut])
        with pytest.raises(IDXError, match="cut.*(truncated|corrupt)") as error:
            read_idx(path)
        assert str(path) in str(error.value)


def test_idx_header_and_data_disagree(tmp_path):
    data = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    short = write(tmp_path / "short.gz", data[:-1])
    with pytest.raises(
        IDXError,
        match=r"short\.gz: truncated file: a 2x3x4 array of uint8 "
        r"needs 24 bytes, the file has only 23",
    ):
        read_idx(short)
    with pytest.raises(IDXError, match="more data than its header's shape"):
        read_idx(write(tmp_path / "long", data + b"\x00", gzipped=False))
    with pytest.raises(IDXError, match="truncated file: the sizes of 3 dimensions"):
        read_idx(write(tmp_path / "header.gz", data[:9]))
    with pytest.raises(IDXError, match="truncated file: the magic number"):
        read_idx(write(tmp_path / "empty", b"", gzipped=False))


def test_idx_huge_claimed_size_fails_without_allocating(tmp_path):
    header = bytes([0, 0, 0x0E, 3]) + (2**31).to_bytes(4, "big") * 3  # ~2**96 float64 values
    with pytest.raises(IDXError, match="truncated"):
        read_idx(write(tmp_path / "huge.gz", header + b"\x00" * 64))


@pytest.mark.parametrize("magic", [b"\x00\x00\x07\x01", b"\x01\x00\x08\x01", b"PK\x03\x04"])
def test_idx_bad_magic(tmp_path, magic):
    path = write(tmp_path / "bad.gz", magic + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(IDXError, match=r"bad\.gz: not an IDX file \(magic number"):
        read_idx(path)


def test_idx_corrupt_gzip_data_fails_its_checksum(tmp_path):
    whole = bytearray(gzip.compress(idx_bytes(np.arange(4000, dtype=np.int32)), mtime=0))
    whole[-6] ^= 0xFF  # inside the stored CRC-32 of the uncompressed data
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(whole))
    with pytest.raises(IDXError, match=r"crc\.gz: corrupt or truncated file.*CRC"):
        read_idx(path)
    flipped = bytearray(gzip.compress(idx_bytes(np.arange(4000, dtype=np.int32)), mtime=0))
    flipped[len(flipped) // 2] ^= 0x55  # inside the deflate stream
    path.write_bytes(bytes(flipped))
    with pytest.raises(IDXError, match="corrupt or truncated"):
        read_idx(path)


def test_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent.gz")


# ----- MNIST and Fashion-MNIST from files -----------------------------------------------------


def fake_mnist(directory, n_train=6, n_test=4, gzipped=True, labels_train=None):
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(1)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (
            rng.integers(0, 10, n)
            if labels_train is None or prefix == "t10k"
            else np.asarray(labels_train)
        ).astype(np.uint8)
        suffix = ".gz" if gzipped else ""
        write(
            os.path.join(directory, f"{prefix}-images-idx3-ubyte{suffix}"),
            idx_bytes(images),
            gzipped,
        )
        write(
            os.path.join(directory, f"{prefix}-labels-idx1-ubyte{suffix}"),
            idx_bytes(labels),
            gzipped,
        )
        arrays[prefix] = (images, labels)
    return arrays


@pytest.mark.parametrize("load", [ember.datasets.mnist, ember.datasets.fashion_mnist])
@pytest.mark.parametrize("layout", ["flat", "flat-uncompressed", "torchvision"])
def test_mnist_readers_from_a_root(tmp_path, load, layout):
    if layout == "torchvision":
        name = "MNIST" if load is ember.datasets.mnist else "FashionMNIST"
        arrays = fake_mnist(tmp_path / name / "raw")
    else:
        arrays = fake_mnist(tmp_path, gzipped=layout == "flat")
    for train, prefix in ((True, "train"), (False, "t10k")):
        data = load(root=tmp_path, train=train)
        images, labels = data.tensors
        expected_images, expected_labels = arrays[prefix]
        assert isinstance(data, ember.data.TensorDataset) and len(data) == len(expected_labels)
        assert images.dtype == ember.float32 and tuple(images.shape) == expected_images.shape
        assert labels.dtype == ember.int64
        np.testing.assert_array_equal(images.numpy(), expected_images.astype(np.float32) / 255)
        np.testing.assert_array_equal(labels.numpy(), expected_labels)
        assert 0 <= images.numpy().min() and images.numpy().max() <= 1
        assert len(data.classes) == 10


def test_mnist_labels_that_do_not_fit_the_images(tmp_path):
    fake_mnist(tmp_path, n_train=6, labels_train=[1, 2, 3])
    with pytest.raises(IDXError, match="expected 6 uint8 labels"):
        ember.datasets.mnist(tmp_path)
    fake_mnist(tmp_path, n_train=3, labels_train=[1, 12, 3])
    with pytest.raises(IDXError, match="label 12 is not a class"):
        ember.datasets.mnist(tmp_path)


def test_mnist_truncated_file_under_a_root(tmp_path):
    fake_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(IDXError, match="train-images-idx3-ubyte.gz"):
        ember.datasets.fashion_mnist(tmp_path)


def test_missing_files_say_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        ember.datasets.fashion_mnist(tmp_path / "nowhere")
    message = str(error.value)
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path / "nowhere") in message
    assert "apt-get install dataset-fashion-mnist" in message and "root=" in message
    assert "downloads nothing" in message
    fake_mnist(tmp_path)
    os.remove(tmp_path / "t10k-labels-idx1-ubyte.gz")
    ember.datasets.mnist(tmp_path, train=True)
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz"):
        ember.datasets.mnist(tmp_path, train=False)


@pytest.mark.skipif(
    not os.path.isdir(FASHION_MNIST_ROOT),
    reason=f"{FASHION_MNIST_ROOT} is absent: Debian's dataset-fashion-mnist "
    "package is not installed",
)
def test_real_fashion_mnist_from_the_debian_package():
    for train, n in ((True, 60000), (False, 10000)):
        data = ember.datasets.fashion_mnist(train=train)
        images, labels = data.tensors
        assert tuple(images.shape) == (n, 28, 28) and tuple(labels.shape) == (n,)
        assert images.dtype == ember.float32 and labels.dtype == ember.int64
        pixels = images.numpy()
        assert pixels.min() == 0 and pixels.max() == 1
        assert np.bincount(labels.numpy()).tolist() == [n // 10] * 10  # balanced classes
        assert data.classes[9] == "Ankle boot"


# ----- digits ---------------------------------------------------------------------------------


def test_digits_split():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    train, test = ember.datasets.digits()
    assert (len(train), len(test)) == (1437, 360)
    for part in (train, test):
        x, y = part.tensors
        assert x.dtype == ember.float32 and y.dtype == ember.int64
        assert x.shape[1] == 64 and 0 <= x.numpy().min() and x.numpy().max() <= 1
    assert np.bincount(test.tensors[1].numpy()).min() >= 35, "every digit is in the test part"
    # Together the parts are exactly scikit-learn's digits, each image once, scaled by 1/16.
    bunch = sklearn_datasets.load_digits()
    ours = np.concatenate(
        [np.column_stack([p.tensors[0].numpy(), p.tensors[1].numpy()]) for p in (train, test)]
    )
    theirs = np.column_stack([(bunch.data / 16).astype(np.float32), bunch.target])
    assert np.array_equal(
        np.unique(ours, axis=0, return_counts=True)[1],
        np.unique(theirs, axis=0, return_counts=True)[1],
    )
    assert np.array_equal(ours[np.lexsort(ours.T)], theirs[np.lexsort(theirs.T)])


def test_digits_is_deterministic_and_seedable():
    pytest.importorskip("sklearn")
    a, b = ember.datasets.digits(), ember.datasets.digits()
    assert np.array_equal(a.test.tensors[0].numpy(), b.test.tensors[0].numpy())
    c = ember.datasets.digits(seed=1)
    assert not np.array_equal(a.test.tensors[0].numpy(), c.test.tensors[0].numpy())
    assert len(ember.datasets.digits(test_fraction=0.5).test) == 899
    with pytest.raises(ValueError, match="test_fraction"):
        ember.datasets.digits(test_fraction=1.5)


def test_digits_without_scikit_learn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install ember\[datasets\]"):
        ember.datasets.digits()
