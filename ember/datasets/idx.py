"""Reading IDX files, the format of MNIST and Fashion-MNIST (``train-images-idx3-ubyte.gz``).

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the values, big-endian, in C order. Files may be gzipped.
Every size is checked, so a truncated or corrupt file raises :class:`IDXError` naming the file
instead of returning a wrong array.
"""

import gzip
import os
import zlib

import numpy

__all__ = ["IDXError", "read_idx"]

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 24  # read in pieces, so a corrupt header claiming huge sizes allocates nothing


class IDXError(ValueError):
    """An IDX file that is truncated, corrupt or not an IDX file at all."""


def read_idx(path):
    """The array stored in the IDX file at ``path`` (gzipped or not), in native byte order."""
    path = os.fspath(path)
    with open(path, "rb") as raw:  # a missing or unreadable file fails here, as itself
        gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        try:
            with gzip.GzipFile(fileobj=raw) if gzipped else raw as stream:
                return _read(stream, path)
        except (EOFError, OSError, zlib.error) as error:  # gzip: truncated, bad CRC, bad data
            raise IDXError(f"{path}: corrupt or truncated file ({error})") from None


def _read_exactly(stream, size, path, what):
    data = bytearray()
    while len(data) < size:
        piece = stream.read(min(size - len(data), _CHUNK))
        if not piece:
            raise IDXError(
                f"{path}: truncated file: {what} needs {size} bytes, the file has only {len(data)}"
            )
        data += piece
    return data


def _read(stream, path):
    magic = _read_exactly(stream, 4, path, "the magic number")
    if magic[0] or magic[1] or magic[2] not in _TYPES:
        raise IDXError(
            f"{path}: not an IDX file (magic number {bytes(magic).hex()}; expected "
            "00 00, a type code among 08 09 0b 0c 0d 0e, and the number of dimensions)"
        )
    dtype, ndim = numpy.dtype(_TYPES[magic[2]]), magic[3]
    shape = tuple(
        int(d)
        for d in numpy.frombuffer(
            _read_exactly(stream, 4 * ndim, path, f"the sizes of {ndim} dimensions"), dtype=">u4"
        )
    )
    count = 1
    for size in shape:
        count *= size
    values = _read_exactly(
        stream,
        count * dtype.itemsize,
        path,
        f"a {'x'.join(map(str, shape)) or 'scalar'} array of {dtype.name}",
    )
    if stream.read(1):
        raise IDXError(f"{path}: corrupt file: more data than its header's shape {shape} holds")
    array = numpy.frombuffer(values, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)
