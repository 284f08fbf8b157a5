"""ember.data against torch.utils.data: datasets, samplers, default collate, DataLoader batches
(counts, shapes, dtypes, values, drop_last), seeded shuffling and random_split."""

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.data as edata

Point = collections.namedtuple("Point", "x y")


def plain(batch):
    """A batch from either library as plain Python: tensors become (dtype name, shape, values),
    containers keep their type, so two batches compare with ==."""
    if isinstance(batch, (ember.Tensor, torch.Tensor)):
        values = batch.detach().numpy()
        return ("tensor", str(batch.dtype).split(".")[-1], tuple(batch.shape), values.tolist())
    if isinstance(batch, dict):
        return (type(batch).__name__, {k: plain(v) for k, v in batch.items()})
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return (type(batch).__name__, tuple(plain(v) for v in batch))
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [plain(v) for v in batch])
    return batch


def sample_in(lib, kind, i):
    """Sample ``i`` of a few dataset shapes, built with ``lib`` (ember or torch) tensors."""
    rng = np.random.default_rng(i)
    if kind == "tensors":
        return (lib.from_numpy(rng.standard_normal((2, 3)).astype(np.float32)), lib.tensor(i))
    if kind == "numbers":
        return (i, float(i) / 3, i % 2 == 0)
    if kind == "numpy":
        return (rng.standard_normal(4), np.int32(i), np.float32(i / 7), np.bool_(i % 3 == 0))
    if kind == "dict":
        return {
            "image": rng.standard_normal((1, 2)),
            "label": i,
            "name": f"s{i}",
            "meta": {"pair": [i, i + 1], "scale": 0.5 * i},
        }
    if kind == "namedtuple":
        return Point(x=lib.from_numpy(rng.standard_normal(3)), y=[float(i), i])
    if kind == "ordered":
        return collections.OrderedDict(b=i, a=np.uint8(i))
    raise ValueError(kind)


KINDS = ["tensors", "numbers", "numpy", "dict", "namedtuple", "ordered"]


class ListDataset(edata.Dataset):
    def __init__(self, samples):
        self.samples = samples

    def __getitem__(self, i):
        return self.samples[i]

    def __len__(self):
        return len(self.samples)


# ----- default collate ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_default_collate_matches_torch(kind):
    for n in (1, 3):
        ours = edata.default_collate([sample_in(ember, kind, i) for i in range(n)])
        theirs = tdata.default_collate([sample_in(torch, kind, i) for i in range(n)])
        assert plain(ours) == plain(theirs)


def test_default_collate_dtypes_are_torchs():
    cases = {
        "python ints": [1, 2],
        "python floats": [1.0, 2.5],
        "python bools": [True, False],
        "numpy float32": [np.float32(1), np.float32(2)],
        "numpy int32": [np.int32(1)],
        "numpy float64 arrays": [np.zeros(2), np.ones(2)],
        "numpy uint8 arrays": [np.zeros(2, np.uint8)],
    }
    for what, batch in cases.items():
        ours, theirs = edata.default_collate(batch), tdata.default_collate(batch)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], what
        assert tuple(ours.shape) == tuple(theirs.shape), what
    assert edata.default_collate([1.5, 2.0]).dtype == ember.float64  # not the default dtype


def test_default_collate_tuples_become_lists_and_strings_stay():
    batch = edata.default_collate([(1, "a"), (2, "b")])
    assert isinstance(batch, list) and batch[1] == ["a", "b"]
    assert batch[0].tolist() == [1, 2]


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        edata.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        edata.default_collate([object()])
    with pytest.raises(TypeError, match="found <U1"):
        edata.default_collate([np.array(["a"])])
    with pytest.raises(TypeError, match="NoneType"):
        edata.default_collate([None, None])
    with pytest.raises(KeyError, match="sample 1 has no key 'b'"):
        edata.default_collate([{"a": 1, "b": 2}, {"a": 3}])
    with pytest.raises(RuntimeError, match=r"\[2\].*\[3\]"):
        edata.default_collate([ember.zeros(2), ember.zeros(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        edata.default_collate([np.zeros(2), np.zeros(3)])


def test_default_convert_matches_torch():
    for sample in [np.arange(3), {"a": (np.float32(1), 2)}, [np.zeros(2)], 5, "s"]:
        assert plain(edata.default_convert(sample)) == plain(tdata.default_convert(sample))


# ----- DataLoader against torch's ------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 23),
    batch_size=st.integers(1, 8),
    drop_last=st.booleans(),
    kind=st.sampled_from(KINDS),
)
def test_loader_in_order_matches_torch(n, batch_size, drop_last, kind):
    ours = edata.DataLoader(
        ListDataset([sample_in(ember, kind, i) for i in range(n)]),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    theirs = tdata.DataLoader(
        [sample_in(torch, kind, i) for i in range(n)], batch_size=batch_size, drop_last=drop_last
    )
    assert len(ours) == len(theirs)
    ours_batches, theirs_batches = list(ours), list(theirs)
    assert len(ours_batches) == len(ours)
    assert [plain(b) for b in ours_batches] == [plain(b) for b in theirs_batches]


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 30),
    batch_size=st.integers(1, 9),
    drop_last=st.booleans(),
    shuffle=st.booleans(),
)
def test_tensor_dataset_loader_matches_torch(n, batch_size, drop_last, shuffle):
    x = np.random.default_rng(n).standard_normal((n, 3, 2)).astype(np.float32)
    y = np.arange(n)
    ours = edata.DataLoader(
        edata.TensorDataset(ember.from_numpy(x), ember.from_numpy(y)),
        batch_size=batch_size,
        drop_last=drop_last,
        shuffle=shuffle,
    )
    theirs = tdata.DataLoader(
        tdata.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=batch_size,
        drop_last=drop_last,
        shuffle=shuffle,
    )
    assert len(ours) == len(theirs)
    ours_batches, theirs_batches = list(ours), list(theirs)
    assert [[plain(t)[:3] for t in b] for b in ours_batches] == [
        [plain(t)[:3] for t in b] for b in theirs_batches
    ]  # types, dtypes, shapes
    seen = np.concatenate([b[1].numpy() for b in ours_batches]) if ours_batches else np.array([])
    for xb, yb in ours_batches:  # each row travels with its own label
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])
    if shuffle and not drop_last:
        assert sorted(seen.tolist()) == list(range(n))
    elif not shuffle:
        assert seen.tolist() == list(range(len(ours) * batch_size if drop_last else n))


def test_fast_tensor_batches_equal_collating_samples():
    x, y = ember.randn(11, 4), ember.arange(11)
    for dataset in (
        edata.TensorDataset(x, y),
        edata.random_split(
            edata.TensorDataset(x, y), [7, 4], generator=ember.Generator().manual_seed(1)
        )[0],
    ):
        fast = edata.DataLoader(dataset, batch_size=3)
        slow = edata.DataLoader(
            dataset, batch_size=3, collate_fn=lambda b: edata.default_collate(b)
        )  # no fast path
        assert [plain(b) for b in fast] == [plain(b) for b in slow]


def test_loader_batches_keep_the_graph_when_data_requires_grad():
    x = ember.randn(6, 2, dtype=ember.float64, requires_grad=True)
    loader = edata.DataLoader(edata.TensorDataset(x, ember.arange(6)), batch_size=4)
    total = sum((xb * (yb.unsqueeze(1) + 1)).sum() for xb, yb in loader)
    total.backward()
    expected = np.repeat(np.arange(1.0, 7.0)[:, None], 2, axis=1)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_seeded_shuffle_repeats_and_changes_between_epochs():
    data = edata.TensorDataset(ember.arange(50))

    def epochs(loader, count=2):
        return [np.concatenate([b[0].numpy() for b in loader]).tolist() for _ in range(count)]

    first = epochs(
        edata.DataLoader(
            data, batch_size=8, shuffle=True, generator=ember.Generator().manual_seed(3)
        )
    )
    again = epochs(
        edata.DataLoader(
            data, batch_size=8, shuffle=True, generator=ember.Generator().manual_seed(3)
        )
    )
    other = epochs(
        edata.DataLoader(
            data, batch_size=8, shuffle=True, generator=ember.Generator().manual_seed(4)
        )
    )
    assert first == again and first != other
    assert first[0] != first[1], "each epoch draws a new order"
    assert all(sorted(epoch) == list(range(50)) for epoch in first)
    assert first[0] != list(range(50))

    ember.manual_seed(7)
    default_a = epochs(edata.DataLoader(data, batch_size=8, shuffle=True))
    ember.manual_seed(7)
    default_b = epochs(edata.DataLoader(data, batch_size=8, shuffle=True))
    assert default_a == default_b


def test_no_batching_and_custom_batch_sampler_match_torch():
    samples = [(np.float32(i), np.arange(i, i + 2)) for i in range(5)]
    ours = list(edata.DataLoader(ListDataset(samples), batch_size=None))
    theirs = list(tdata.DataLoader(samples, batch_size=None))
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]
    assert len(edata.DataLoader(ListDataset(samples), batch_size=None)) == 5

    batches = [[4, 0], [1, 2, 3]]
    ours = edata.DataLoader(ListDataset(samples), batch_sampler=batches)
    theirs = tdata.DataLoader(samples, batch_sampler=batches)
    assert len(ours) == len(theirs) == 2
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]


def test_sampler_option_and_collate_fn():
    data = ListDataset(list(range(10)))
    sampler = edata.SubsetRandomSampler([1, 3, 5], generator=ember.Generator().manual_seed(0))
    loader = edata.DataLoader(data, batch_size=2, sampler=sampler, collate_fn=sorted)
    batches = list(loader)
    assert len(loader) == 2 and [len(b) for b in batches] == [2, 1]
    assert sorted(sum(batches, [])) == [1, 3, 5]


def test_getitems_is_used_for_batches():
    class Batched(ListDataset):
        def __getitems__(self, indices):
            return [("batched", self.samples[i]) for i in indices]

    batch = next(iter(edata.DataLoader(Batched([1, 2, 3]), batch_size=3)))
    assert batch[0] == ["batched"] * 3 and batch[1].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sampler": [0, 1], "shuffle": True},
        {"batch_sampler": [[0]], "batch_size": 2},
        {"batch_sampler": [[0]], "drop_last": True},
        {"batch_sampler": [[0]], "shuffle": True},
        {"batch_size": None, "drop_last": True},
        {"batch_size": 0},
        {"num_workers": -1},
    ],
)
def test_loader_option_errors_match_torch(kwargs):
    with pytest.raises(ValueError) as theirs:
        tdata.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(ValueError) as ours:
        edata.DataLoader(ListDataset(list(range(4))), **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_num_workers_loads_the_same_batches_in_process():
    data = edata.TensorDataset(ember.arange(7))
    assert [plain(b) for b in edata.DataLoader(data, batch_size=3, num_workers=2)] == [
        plain(b) for b in edata.DataLoader(data, batch_size=3)
    ]


# ----- samplers -------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 20),
    num_samples=st.one_of(st.none(), st.integers(1, 45)),
    replacement=st.booleans(),
)
def test_random_sampler_lengths_and_values_match_torch(n, num_samples, replacement):
    ours = edata.RandomSampler(
        range(n), replacement, num_samples, generator=ember.Generator().manual_seed(0)
    )
    theirs = tdata.RandomSampler(range(n), replacement, num_samples)
    drawn = list(ours)
    assert len(ours) == len(theirs) == len(drawn) == len(list(theirs))
    assert all(0 <= i < n for i in drawn)
    if not replacement:  # whole permutations first, then part of one
        full = len(drawn) // n * n
        for start in range(0, full, n):
            assert sorted(drawn[start : start + n]) == list(range(n))
        assert len(set(drawn[full:])) == len(drawn) - full


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), drop_last=st.booleans())
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    ours = edata.BatchSampler(edata.SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), batch_size, drop_last)
    assert len(ours) == len(theirs)
    assert list(ours) == list(theirs)


def test_weighted_random_sampler_follows_weights():
    sampler = edata.WeightedRandomSampler(
        [0, 1, 3], 4000, generator=ember.Generator().manual_seed(0)
    )
    counts = np.bincount(list(sampler), minlength=3)
    assert len(sampler) == 4000 and counts[0] == 0
    assert abs(counts[2] / counts[1] - 3) < 0.3
    unique = list(edata.WeightedRandomSampler([1, 1, 1], 3, replacement=False))
    assert sorted(unique) == [0, 1, 2]
    with pytest.raises(ValueError, match="non-negative"):
        edata.WeightedRandomSampler([-1, 2], 3)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda lib: lib.RandomSampler([]), ValueError, "num_samples should be a positive integer"),
        (
            lambda lib: lib.RandomSampler(range(3), replacement=1),
            TypeError,
            "replacement should be",
        ),
        (lambda lib: lib.RandomSampler(range(3), num_samples=0), ValueError, "num_samples=0"),
        (lambda lib: lib.BatchSampler(range(3), True, False), ValueError, "batch_size=True"),
        (lambda lib: lib.BatchSampler(range(3), 2, None), ValueError, "drop_last should be a bool"),
        (lambda lib: lib.WeightedRandomSampler([1, 2], 2, 1), ValueError, "replacement should be"),
    ],
)
def test_sampler_errors_match_torch(make, error, message):
    with pytest.raises(error, match=message):
        make(tdata)
    with pytest.raises(error, match=message):
        make(edata)


# ----- datasets and random_split --------------------------------------------------------------


def test_tensor_dataset():
    x, y = ember.randn(5, 2), ember.arange(5)
    data = edata.TensorDataset(x, y)
    assert len(data) == 5
    xi, yi = data[3]
    assert xi.shape == (2,) and yi.item() == 3
    np.testing.assert_array_equal(data[-1][0].numpy(), x.numpy()[-1])
    with pytest.raises(ValueError, match=r"Size mismatch.*\[5, 4\]"):
        edata.TensorDataset(x, ember.arange(4))
    with pytest.raises(TypeError, match="argument 1 is a ndarray"):
        edata.TensorDataset(x, np.arange(5))


def test_subset_and_concat():
    data = ListDataset(list("abcdef"))
    sub = edata.Subset(data, [5, 0, 2])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == ["f", "a", "c"]
    both = data + ListDataset(list("xy"))
    assert isinstance(both, edata.ConcatDataset) and len(both) == 8
    assert [both[i] for i in (0, 5, 6, 7, -1)] == ["a", "f", "x", "y", "y"]
    with pytest.raises(IndexError):
        both[8]
    with pytest.raises(NotImplementedError):
        edata.Dataset()[0]


@pytest.mark.parametrize(
    "n, lengths",
    [
        (10, [3, 7]),
        (10, [0.33, 0.33, 0.34]),
        (7, [0.5, 0.5]),
        (1797, [0.8, 0.2]),
        (5, [5, 0]),
        (11, [0.1, 0.2, 0.7]),
    ],
)
def test_random_split_sizes_match_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = edata.random_split(
            ListDataset(list(range(n))), lengths, generator=ember.Generator().manual_seed(0)
        )
        theirs = tdata.random_split(range(n), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    items = [s[i] for s in ours for i in range(len(s))]
    assert sorted(items) == list(range(n)), "the splits cover the dataset without overlap"


def test_random_split_is_seedable():
    data = ListDataset(list(range(20)))

    def split(seed):
        parts = edata.random_split(data, [0.5, 0.5], generator=ember.Generator().manual_seed(seed))
        return [list(p.indices) for p in parts]

    assert split(1) == split(1) and split(1) != split(2)
    ember.manual_seed(5)
    a = [list(p.indices) for p in edata.random_split(data, [10, 10])]
    ember.manual_seed(5)
    assert a == [list(p.indices) for p in edata.random_split(data, [10, 10])]


def test_random_split_errors_match_torch():
    for lengths, message in [
        ([3, 3], "Sum of input lengths"),
        ([1.5, -0.5], "Fraction at index 0 is not between 0 and 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            tdata.random_split(range(10), lengths)
        with pytest.raises(ValueError, match=message):
            edata.random_split(ListDataset(list(range(10))), lengths)
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        edata.random_split(ListDataset([1, 2]), [1.0, 0.0])


def test_utils_data_is_the_same_module_content():
    assert ember.utils.data.DataLoader is edata.DataLoader
    assert ember.utils.data.TensorDataset is edata.TensorDataset
    assert ember.utils.data.random_split is edata.random_split
    assert ember.data is edata
