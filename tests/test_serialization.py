"""ember.save / ember.load: safetensors checkpoints that round-trip bit for bit, refuse what they
cannot hold, and never run code when loading (pickles, truncated and corrupt files)."""

import collections
import io
import json
import os
import pickle
import sys

import numpy as np
import pytest
import torch

import ember

pytest.importorskip("safetensors")

DTYPES = [
    ember.float32,
    ember.float64,
    ember.float16,
    ember.int64,
    ember.int32,
    ember.int16,
    ember.int8,
    ember.uint8,
    ember.bool,
]


def random_bits(shape, dtype, rng):
    """Arbitrary bit patterns of ``dtype`` (NaN payloads, infinities, subnormals, -0.0)."""
    np_dtype = dtype.numpy
    if np_dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    raw = rng.integers(0, 256, int(np.prod(shape)) * np_dtype.itemsize, dtype=np.uint8)
    return raw.view(np_dtype).reshape(shape)


def same_bits(a, b):
    a = a.numpy() if isinstance(a, ember.Tensor) else a
    b = b.numpy() if isinstance(b, ember.Tensor) else b
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def round_trip(obj, tmp_path, name="ckpt.safetensors"):
    path = tmp_path / name
    ember.save(obj, path)
    return ember.load(path)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensors_round_trip_bit_for_bit(tmp_path, dtype):
    rng = np.random.default_rng(0)
    originals = {
        str(shape): ember.from_numpy(random_bits(shape, dtype, rng))
        for shape in [(), (1,), (3, 4), (2, 0, 3), (2, 3, 4)]
    }
    originals["transposed view"] = ember.from_numpy(random_bits((3, 5), dtype, rng)).t()
    loaded = round_trip(originals, tmp_path)
    assert list(loaded) == list(originals)
    for key, t in originals.items():
        assert isinstance(loaded[key], ember.Tensor)
        assert same_bits(loaded[key], t), key
        assert loaded[key].dtype == t.dtype and loaded[key].shape == t.shape


def test_state_dicts_round_trip_with_types(tmp_path):
    w = ember.randn(4, 3, dtype=ember.float64)
    checkpoint = {
        "model": collections.OrderedDict([("fc.weight", w), ("fc.bias", ember.zeros(4))]),
        "optimizer": {
            "state": {
                0: {"step": ember.tensor(12), "momentum_buffer": ember.randn(4, 3)},
                1: {"step": ember.tensor(12.0), "exp_avg": None},
            },
            "param_groups": [
                {
                    "lr": 0.05,
                    "momentum": 0.9,
                    "nesterov": False,
                    "weight_decay": 0,
                    "params": [0, 1],
                    "betas": (0.9, 0.999),
                }
            ],
        },
        "config": {
            "dataset": "digits",
            "widths": [64, 256, 10],
            "epochs": 10,
            "seed": None,
            "unicode": "naïve ∂L/∂w",
            "big": 2**80,
            "floats": [0.1, -0.0, 1e-310, float("inf")],
        },
        "epoch": 3,
        "numpy": np.arange(6, dtype=np.int32).reshape(2, 3),
        "numpy scalar": np.float32(0.25),
        "nested": [(1, [2, (3,)]), {}],
        1.5: "float key",
        None: "none key",
        True: "bool key",
    }
    loaded = round_trip(checkpoint, tmp_path)
    assert loaded.keys() == checkpoint.keys()
    assert same_bits(loaded["model"]["fc.weight"], w)
    state = loaded["optimizer"]["state"]
    assert list(state) == [0, 1], "int keys stay ints"
    assert state[0]["step"].dtype == ember.int64 and state[0]["step"].shape == ()
    assert state[0]["step"].item() == 12 and state[1]["step"].dtype == ember.float32
    assert state[1]["exp_avg"] is None
    group = loaded["optimizer"]["param_groups"][0]
    assert group == checkpoint["optimizer"]["param_groups"][0]
    assert type(group["betas"]) is tuple and type(group["nesterov"]) is bool
    assert type(group["weight_decay"]) is int and type(group["lr"]) is float
    config = loaded["config"]
    assert config == checkpoint["config"]
    assert str(config["floats"][1]) == "-0.0" and config["floats"][2] == 1e-310
    assert loaded["nested"] == [(1, [2, (3,)]), {}]
    assert same_bits(loaded["numpy"], checkpoint["numpy"]) and isinstance(
        loaded["numpy"], np.ndarray
    )
    assert type(loaded["numpy scalar"]) is np.float32 and loaded["numpy scalar"] == 0.25
    assert loaded[1.5] == "float key" and loaded[None] == "none key" and loaded[True] == "bool key"


def test_outputs_of_a_model_are_identical_after_reloading(tmp_path):
    ember.manual_seed(0)
    params = {"w1": ember.randn(64, 16), "b1": ember.randn(16), "w2": ember.randn(16, 10)}
    x = ember.rand(8, 64)

    def forward(p):
        return (x @ p["w1"] + p["b1"]).relu() @ p["w2"]

    reloaded = round_trip({"model": params}, tmp_path)["model"]
    assert forward(reloaded).numpy().tobytes() == forward(params).numpy().tobytes()
    for t in reloaded.values():  # loaded tensors are ordinary, writable tensors
        t.add_(1)


def test_nan_payloads_and_python_floats_survive(tmp_path):
    weird = np.array([0x7FC00001, 0xFFC12345, 0x7F800000, 0x80000000, 1], np.uint32).view(
        np.float32
    )
    loaded = round_trip({"t": ember.from_numpy(weird), "nan": float("nan")}, tmp_path)
    assert same_bits(loaded["t"], weird)
    assert loaded["nan"] != loaded["nan"]


def test_big_endian_and_strided_numpy_arrays(tmp_path):
    big = np.arange(12, dtype=">f8").reshape(3, 4)
    loaded = round_trip({"big": big, "strided": big[:, ::2]}, tmp_path)
    assert loaded["big"].dtype == np.float64 and loaded["big"].dtype.isnative
    np.testing.assert_array_equal(loaded["big"], big)
    np.testing.assert_array_equal(loaded["strided"], big[:, ::2])


def test_requires_grad_and_shared_tensors_are_kept(tmp_path):
    w = ember.randn(3, requires_grad=True)
    loaded = round_trip({"a": w, "b": [w], "c": w.detach()}, tmp_path)
    assert loaded["a"].requires_grad and loaded["a"].is_leaf
    assert loaded["b"][0] is loaded["a"], "one tensor saved twice loads as one tensor"
    assert not loaded["c"].requires_grad
    assert same_bits(loaded["c"], w.detach())


def test_tensor_names_in_the_file_are_key_paths(tmp_path):
    from safetensors.numpy import load_file

    ember.save({"model": {"fc.weight": ember.ones(2)}, "opt": [ember.zeros(1)]}, tmp_path / "x")
    assert set(load_file(tmp_path / "x")) == {"model.fc.weight", "opt.0"}
    ember.save(ember.arange(3), tmp_path / "bare")
    assert ember.load(tmp_path / "bare").tolist() == [0, 1, 2]


def test_plain_safetensors_files_load_as_a_dict_of_tensors(tmp_path):
    from safetensors.numpy import save_file

    arrays = {"embedding": np.arange(6, dtype=np.float32).reshape(2, 3), "scale": np.float64(2)}
    save_file({k: np.asarray(v) for k, v in arrays.items()}, tmp_path / "hf.safetensors")
    loaded = ember.load(tmp_path / "hf.safetensors")
    assert set(loaded) == set(arrays)
    assert same_bits(loaded["embedding"], arrays["embedding"])
    assert loaded["scale"].dtype == ember.float64 and loaded["scale"].item() == 2


def test_file_objects_and_map_location(tmp_path):
    buffer = io.BytesIO()
    ember.save({"x": ember.arange(4)}, buffer)
    buffer.seek(0)
    loaded = ember.load(buffer, map_location="cpu", weights_only=True)
    assert loaded["x"].tolist() == [0, 1, 2, 3] and loaded["x"].device.type == "cpu"
    with pytest.raises(TypeError, match="map_location must be a device"):
        ember.load(io.BytesIO(buffer.getvalue()), map_location={"cuda": "cpu"})


# ----- what is refused ------------------------------------------------------------------------


class Opaque:
    pass


Pair = collections.namedtuple("Pair", "a b")


@pytest.mark.parametrize(
    "obj, where, what",
    [
        ({"config": {"fn": len}}, r"obj\['config'\]\['fn'\]", "builtin_function_or_method"),
        ({"model": [ember.ones(1), Opaque()]}, r"obj\['model'\]\[1\]", "Opaque"),
        ({"s": {1, 2}}, r"obj\['s'\]", "builtins.set"),
        ({"p": Pair(1, 2)}, r"obj\['p'\]", r"_asdict\(\)"),
        ({"t": torch.ones(2)}, r"obj\['t'\]", "torch.Tensor"),
        ({"b": b"bytes"}, r"obj\['b'\]", "bytes"),
        ({"o": np.array([object()])}, r"obj\['o'\]", "dtype object"),
        (Opaque(), "obj", "Opaque"),
    ],
)
def test_unsupported_objects_are_refused_naming_the_key_path(tmp_path, obj, where, what):
    with pytest.raises(TypeError, match=f"can't save {where}.*{what}"):
        ember.save(obj, tmp_path / "x")
    assert not os.listdir(tmp_path), "nothing is written, not even a temporary file"


def test_bad_keys_and_cycles_are_refused(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['a'\] has a key of type tuple"):
        ember.save({"a": {(1, 2): 3}}, tmp_path / "x")
    loop = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        ember.save(loop, tmp_path / "x")


def test_a_failed_save_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt"
    ember.save({"epoch": 1}, path)
    with pytest.raises(TypeError):
        ember.save({"epoch": 2, "bad": Opaque()}, path)
    assert ember.load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["ckpt"]


class CreatesMarker:
    """Unpickling this calls open(marker, "w"): a stand-in for arbitrary code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_a_crafted_pickle_is_refused_and_runs_nothing(tmp_path, protocol):
    payload = pickle.dumps({"model": CreatesMarker(str(tmp_path / "proof"))}, protocol=protocol)
    pickle.loads(payload)  # the payload works: unpickling it does create a marker file
    assert (tmp_path / "proof").exists()

    payload = pickle.dumps({"model": CreatesMarker(str(tmp_path / "marker"))}, protocol=protocol)
    path = tmp_path / "evil.pt"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="evil.pt") as error:
        ember.load(path)
    assert "pickle" in str(error.value) or "not a valid safetensors" in str(error.value)
    assert not (tmp_path / "marker").exists(), "loading ran code"


def test_torch_save_files_are_refused(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="is a pickle .torch.save. file, which ember never loads"):
        ember.load(tmp_path / "model.pt")


def test_truncated_files_are_refused(tmp_path):
    path = tmp_path / "ckpt"
    ember.save({"w": ember.randn(50, 20), "lr": 0.1}, path)
    whole = path.read_bytes()
    for cut in (0, 4, 8, 60, len(whole) // 2, len(whole) - 1):
        path.write_bytes(whole[:cut])
        with pytest.raises(ValueError, match="not a valid safetensors checkpoint"):
            ember.load(path)


def test_corrupt_bytes_are_refused(tmp_path):
    path = tmp_path / "ckpt"
    ember.save({"w": ember.zeros(100), "config": {"lr": 0.125}}, path)
    whole = path.read_bytes()
    flipped = bytearray(whole)
    flipped[-17] ^= 0x01  # one bit of one weight
    path.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="corrupt: the bytes of tensor 'w' do not match"):
        ember.load(path)
    path.write_bytes(whole.replace(b"0.125", b"0.625"))  # same length: the header stays valid
    with pytest.raises(ValueError, match="corrupt: the structure's checksum does not match"):
        ember.load(path)


def test_a_forged_structure_is_checked_node_by_node(tmp_path):
    from safetensors.numpy import save_file

    def forged(structure):
        text = json.dumps(structure)
        import zlib

        checksums = {"structure": zlib.crc32(text.encode()), "tensors": {}}
        save_file(
            {},
            tmp_path / "f",
            metadata={
                "ember.format": "1",
                "ember.structure": text,
                "ember.checksums": json.dumps(checksums),
            },
        )
        return tmp_path / "f"

    for structure, why in [
        ({"tensor": "missing"}, "does not hold"),
        ({"eval": "os.system"}, "unexpected node"),
        ({"dict": [[1]]}, "not a \\[key, value\\] pair"),
        ({"list": 5}, "expected a list"),
    ]:
        with pytest.raises(ValueError, match=f"corrupt: .*{why}"):
            ember.load(forged(structure))


def test_missing_safetensors_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"pip install ember\[checkpoints\]"):
        ember.save({"a": 1}, tmp_path / "x")
    with pytest.raises(ImportError, match=r"pip install ember\[checkpoints\]"):
        ember.load(tmp_path / "x")
