"""Checkpoints without pickle: ``ember.save(obj, path)`` and ``ember.load(path)``.

A checkpoint is a safetensors file. Its tensors are the tensors of ``obj`` (named by their key
path, e.g. ``model.fc1.weight``, so other safetensors readers see them too); the rest of ``obj``
(nested dicts, lists and tuples; numbers, strings, bools and None) is JSON in the file's metadata,
with a reference in place of each tensor. Loading parses JSON and copies bytes, so it can never
run code, unlike ``torch.load`` of a pickle. CRC-32 checksums of the structure and of every
tensor's bytes catch corruption that the format alone would let through as wrong numbers.

safetensors is an optional extra: ``pip install ember[checkpoints]``.
"""

import json
import os
import zlib

import numpy

from . import backend
from .dtypes import from_numpy_dtype
from .tensor import Tensor, wrap

__all__ = ["save", "load"]

_FORMAT = "ember.format"
_STRUCTURE = "ember.structure"
_CHECKSUMS = "ember.checksums"
_VERSION = "1"
_SCALARS = (type(None), bool, int, float, str)
_TAGS = ("tensor", "ndarray", "numpy_scalar", "list", "tuple", "dict")


def _safetensors():
    try:
        import safetensors.numpy
    except ImportError as error:
        raise ImportError(
            "ember.save and ember.load write safetensors files: "
            "pip install ember[checkpoints] (or pip install safetensors)"
        ) from error
    return safetensors


def _crc(data):
    return zlib.crc32(data) & 0xFFFFFFFF


# ----- saving -----------------------------------------------------------------------------------


class _Flattener:
    """Splits an object into JSON-able structure and a dict of named contiguous arrays."""

    def __init__(self):
        self.arrays, self.names_by_id, self.active = {}, {}, set()

    def structure(self, obj, path, name):
        kind = type(obj)
        if kind in _SCALARS:
            return obj
        if isinstance(obj, Tensor):
            node = {"tensor": self._store(obj, backend.to_device(obj._data, "cpu"), name)}
            if obj.requires_grad:
                node["requires_grad"] = True
            return node
        if kind is numpy.ndarray:
            return {"ndarray": self._store(obj, obj, name, path)}
        if isinstance(obj, (numpy.bool_, numpy.number)):
            return {"numpy_scalar": self._store(obj, numpy.asarray(obj), name, path)}
        if isinstance(obj, dict) or kind in (list, tuple):
            if id(obj) in self.active:
                raise ValueError(f"ember.save: {path} contains itself; a checkpoint must be a tree")
            self.active.add(id(obj))
            try:
                if isinstance(obj, dict):
                    return {
                        "dict": [
                            [
                                self._key(key, path),
                                self.structure(
                                    value, f"{path}[{key!r}]", f"{name}.{key}" if name else str(key)
                                ),
                            ]
                            for key, value in obj.items()
                        ]
                    }
                return {
                    kind.__name__: [
                        self.structure(value, f"{path}[{i}]", f"{name}.{i}" if name else str(i))
                        for i, value in enumerate(obj)
                    ]
                }
            finally:
                self.active.discard(id(obj))
        hint = (
            " (a named tuple: save obj._asdict() instead)"
            if isinstance(obj, tuple) and hasattr(obj, "_fields")
            else ""
        )
        raise TypeError(
            f"ember.save: can't save {path}, a {kind.__module__}.{kind.__qualname__}{hint}. "
            "Checkpoints hold only tensors, NumPy arrays, numbers, strings, bools, None, and "
            "dicts, lists and tuples of them (never pickled objects: loading those can run code)"
        )

    def _key(self, key, path):
        if type(key) not in _SCALARS:
            raise TypeError(
                f"ember.save: {path} has a key of type {type(key).__name__} "
                f"({key!r}); dict keys must be str, int, float, bool or None"
            )
        return key

    def _store(self, obj, array, name, path=None):
        if id(obj) in self.names_by_id:  # the same tensor twice is stored once, and stays shared
            return self.names_by_id[id(obj)]
        if path is not None:  # a NumPy array: only the dtypes a tensor can have
            try:
                from_numpy_dtype(array.dtype.newbyteorder("="))
            except TypeError:
                raise TypeError(
                    f"ember.save: can't save {path}, an array of dtype "
                    f"{array.dtype} (not a tensor dtype)"
                ) from None
        # Checksums are of the little-endian bytes, which is what safetensors stores.
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        name = name or "tensor"
        unique, n = name, 1
        while unique in self.arrays:
            n += 1
            unique = f"{name}#{n}"
        # safetensors copies from the data pointer: the bytes must be in C order (and 0-d arrays
        # must stay 0-d, which numpy.ascontiguousarray would not do)
        self.arrays[unique] = array if array.flags.c_contiguous else array.copy(order="C")
        self.names_by_id[id(obj)] = unique  # ids stay unique: obj keeps everything in it alive
        return unique


def save(obj, f):
    """Write ``obj`` (a state dict, or nested dicts/lists/tuples of tensors, NumPy arrays,
    numbers, strings, bools and None) to ``f``, a path or a binary file, as safetensors.

    Anything else raises a TypeError naming where it is in ``obj``. A path is written atomically:
    an interrupted save leaves any previous file there whole.
    """
    st = _safetensors()
    flattener = _Flattener()
    structure = json.dumps(flattener.structure(obj, "obj", ""), separators=(",", ":"))
    checksums = {
        "structure": _crc(structure.encode()),
        "tensors": {name: _crc(a.data if a.size else b"") for name, a in flattener.arrays.items()},
    }
    metadata = {_FORMAT: _VERSION, _STRUCTURE: structure, _CHECKSUMS: json.dumps(checksums)}
    data = st.numpy.save(flattener.arrays, metadata=metadata)
    if hasattr(f, "write"):
        f.write(data)
        return
    path = os.fspath(f)
    temporary = f"{path}.{os.getpid()}.tmp"  # beside it: os.replace is atomic on one filesystem
    try:
        with open(temporary, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


# ----- loading ----------------------------------------------------------------------------------


def load(f, map_location=None, *, weights_only=True):
    """Read what :func:`save` wrote, from a path or a binary file. Tensors come back on the CPU,
    or on ``map_location`` (a device or its name).

    A safetensors file not written by ember loads as a dict of its tensors by name. Pickle files
    (``torch.save``'s) are refused unread, as are truncated or corrupt files: a ValueError says
    which. ``weights_only`` is accepted for PyTorch code; ember never unpickles anything.
    """
    st = _safetensors()
    where = repr(os.fspath(f)) if not hasattr(f, "read") else "the file"
    if hasattr(f, "read"):
        data = f.read()
    else:
        with open(f, "rb") as stream:
            data = stream.read()
    try:
        arrays = st.numpy.load(data)
    except st.SafetensorError as error:
        _refuse_pickle(data, where)  # only a diagnosis: nothing here was ever unpickled
        raise ValueError(
            f"ember.load: {where} is not a valid safetensors checkpoint "
            f"(truncated or corrupt?): {error}"
        ) from None
    metadata = _metadata(data)
    if metadata.get(_FORMAT) is None:
        return {name: _tensor(array, map_location) for name, array in arrays.items()}
    if metadata[_FORMAT] != _VERSION:
        raise ValueError(
            f"ember.load: {where} has checkpoint format {metadata[_FORMAT]!r}; "
            f"this ember reads format {_VERSION!r}"
        )
    return _Builder(arrays, map_location, where).build(_checked_structure(metadata, arrays, where))


def _refuse_pickle(data, where):
    # A pickle starts with PROTO (0x80) and its version; torch.save's default is a zip of one.
    if (data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")) or (
        data[:4] == b"PK\x03\x04"
    ):
        raise ValueError(
            f"ember.load: {where} is a pickle (torch.save) file, which ember never loads: "
            "unpickling can run arbitrary code. Load it in PyTorch with torch.load(path, "
            "weights_only=True) and save its tensors with safetensors instead"
        )


def _metadata(data):
    # safetensors has already checked the header; this only reads its JSON metadata back.
    size = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + size]).get("__metadata__") or {}


def _checked_structure(metadata, arrays, where):
    try:
        checksums = json.loads(metadata[_CHECKSUMS])
        structure_text = metadata[_STRUCTURE]
        if _crc(structure_text.encode()) != checksums["structure"]:
            raise ValueError("the structure's checksum does not match")
        for name, array in arrays.items():
            if _crc(array.data if array.size else b"") != checksums["tensors"][name]:
                raise ValueError(f"the bytes of tensor {name!r} do not match their checksum")
        return json.loads(structure_text)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"ember.load: {where} is corrupt: {error}") from None


class _Builder:
    """Rebuilds the object from its JSON structure, checking every node."""

    def __init__(self, arrays, map_location, where):
        self.arrays, self.map_location, self.where = arrays, map_location, where
        self.tensors = {}

    def build(self, node):
        if type(node) in _SCALARS:
            return node
        if type(node) is not dict or not (node.keys() & set(_TAGS)):
            self._corrupt(f"unexpected node {str(node)[:80]}")
        if "tensor" in node:
            name = node["tensor"]
            if name not in self.tensors:
                t = _tensor(self._array(name), self.map_location)
                if node.get("requires_grad") is True:
                    t.requires_grad_(True)
                self.tensors[name] = t
            return self.tensors[name]
        if "ndarray" in node:
            return _writable(self._array(node["ndarray"]))
        if "numpy_scalar" in node:
            return self._array(node["numpy_scalar"])[()]
        if "list" in node or "tuple" in node:
            items = [self.build(item) for item in self._list(node.get("list", node.get("tuple")))]
            return items if "list" in node else tuple(items)
        pairs = self._list(node["dict"])
        if not all(type(p) is list and len(p) == 2 and type(p[0]) in _SCALARS for p in pairs):
            self._corrupt("a dict entry is not a [key, value] pair")
        return {key: self.build(value) for key, value in pairs}

    def _list(self, value):
        if type(value) is not list:
            self._corrupt(f"expected a list, got {str(value)[:80]}")
        return value

    def _array(self, name):
        if type(name) is not str or name not in self.arrays:
            self._corrupt(f"it refers to a tensor {name!r} that the file does not hold")
        return self.arrays[name]

    def _corrupt(self, why):
        raise ValueError(f"ember.load: {self.where} is corrupt: {why}")


def _writable(array):
    return array if array.flags.writeable else array.copy()


def _tensor(array, map_location):
    t = wrap(_writable(array))
    if map_location is not None:
        if not isinstance(map_location, (str, backend.device)):
            raise TypeError(
                f"ember.load: map_location must be a device or its name, "
                f"got {type(map_location).__name__}"
            )
        t = t.to(map_location)
    return t
