"""The training-step fast paths give what the general paths give: the one-node cross-entropy
(against torch, first and second order, and falling back whenever it does not apply), and the
loader's index arrays (the same batches and the same random draws, at the same moments, as the
batch sampler's lists)."""

import numpy as np
import pytest
import torch

import ember
import ember.data as edata
from ember import nn

F = nn.functional


def logits_and_targets(rng, n, c, dtype, target_dtype, transposed=False):
    x = rng.standard_normal((c, n)).T if transposed else rng.standard_normal((n, c))
    return (3 * x).astype(dtype), rng.integers(0, c, n).astype(target_dtype)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("target_dtype", [np.int64, np.uint8])  # torch takes no others
@pytest.mark.parametrize("transposed", [False, True])
def test_fused_cross_entropy_matches_torch(smoothing, target_dtype, transposed):
    x, t = logits_and_targets(np.random.default_rng(0), 7, 5, np.float64, target_dtype, transposed)
    ours = ember.from_numpy(x).requires_grad_()
    loss = nn.CrossEntropyLoss(label_smoothing=smoothing)(ours, ember.from_numpy(t))
    # One node, the fused op, named as PyTorch's last step (smoothing adds two losses).
    assert type(loss.grad_fn).__name__ == ("AddBackward0" if smoothing else "NllLossBackward0")
    assert loss.grad_fn.next_functions[0][0] is not None
    (2 * loss).backward()
    theirs = torch.from_numpy(x).requires_grad_()
    expected = torch.nn.functional.cross_entropy(
        theirs, torch.from_numpy(t.astype(np.int64)), label_smoothing=smoothing
    )
    (2 * expected).backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_fused_cross_entropy_keeps_the_logits_dtype(dtype):
    x, t = logits_and_targets(np.random.default_rng(1), 32, 10, dtype, np.int64)
    ours = ember.from_numpy(x).requires_grad_()
    loss = F.cross_entropy(ours, ember.from_numpy(t))
    loss.backward()
    assert loss.dtype == ours.dtype and ours.grad.dtype == ours.dtype
    theirs = torch.from_numpy(x.astype(np.float64)).requires_grad_()
    expected = torch.nn.functional.cross_entropy(theirs, torch.from_numpy(t))
    expected.backward()
    tol = 10 * np.finfo(dtype).eps
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=tol)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol, atol=tol / 32)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_fused_cross_entropy_second_order_matches_torch(smoothing):
    x, t = logits_and_targets(np.random.default_rng(2), 6, 4, np.float64, np.int64)
    v = np.random.default_rng(3).standard_normal((6, 4))
    results = []
    for lib, function in ((ember, F.cross_entropy), (torch, torch.nn.functional.cross_entropy)):
        logits = lib.from_numpy(x).requires_grad_()
        loss = function(logits, lib.from_numpy(t), label_smoothing=smoothing)
        (grad,) = (ember.autograd if lib is ember else torch.autograd).grad(
            loss, logits, create_graph=True
        )
        (grad * lib.from_numpy(v)).sum().backward()
        results.append((grad.detach().numpy(), logits.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


def test_cross_entropy_falls_back_to_the_general_path():
    x = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    fused = F.cross_entropy(x, ember.tensor([0, 1, 1, 0]), ignore_index=2)
    assert type(fused.grad_fn).__name__ == "NllLossBackward0"
    # A target that is the ignore_index: log_softmax and nll_loss, which skip it.
    t = torch.tensor([0, 2, 1, 2])
    ignored = F.cross_entropy(x, ember.tensor(t.numpy()), ignore_index=2)
    assert type(ignored.grad_fn.next_functions[0][0]).__name__ == "LogSoftmaxBackward0"
    expected = torch.nn.functional.cross_entropy(
        torch.from_numpy(x.detach().numpy()), t, ignore_index=2
    )
    np.testing.assert_allclose(ignored.item(), expected.item(), rtol=1e-12)
    for bad, message in (([0, 1, 3, 2], "Target 3 is out of bounds"), ([0, -1, 1, 2], "-1")):
        with pytest.raises(IndexError, match=message):
            F.cross_entropy(x, ember.tensor(bad))
    with pytest.raises(RuntimeError, match="Long or Byte, but got Bool"):
        F.cross_entropy(x, ember.tensor([True, False, True, True]))
    with pytest.raises(RuntimeError, match="label_smoothing must be between"):
        F.cross_entropy(x, ember.tensor([0, 1, 1, 2]), label_smoothing=-0.5)


def sampler_kinds(dataset, generator):
    yield "in order", {}
    yield "shuffled", {"shuffle": True, "generator": generator}
    for replacement, num_samples in ((True, None), (False, 5), (False, 2 * len(dataset) + 3)):
        sampler = edata.RandomSampler(dataset, replacement, num_samples, generator=generator)
        yield f"random {replacement} {num_samples}", {"sampler": sampler}


@pytest.mark.parametrize("n", [1, 16, 17, 33])
@pytest.mark.parametrize("batch_size", [1, 4, 16, 40])
@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_index_arrays_match_the_batch_sampler_lists(n, batch_size, drop_last):
    """Two identically seeded loaders: one reads the fast path's batches, the other its batch
    sampler's lists. A draw from the same generator after each batch and epoch shows that every
    permutation is drawn at the same moment (the last, empty one too)."""
    dataset = edata.TensorDataset(ember.arange(n) * 10, ember.arange(n))

    def run(read):
        generator = ember.Generator().manual_seed(5)
        runs = []
        for name, options in sampler_kinds(dataset, generator):
            loader = edata.DataLoader(dataset, batch_size, drop_last=drop_last, **options)
            for _ in range(2):  # each epoch draws anew
                for batch in read(loader):
                    runs.append((name, batch, ember.rand(1, generator=generator).item()))
                runs.append((name, "epoch end", ember.rand(1, generator=generator).item()))
        return runs

    fast = run(lambda loader: ([int(i) for i in b[1].numpy()] for b in loader))
    lists = run(lambda loader: iter(loader.batch_sampler))
    assert fast == lists


def test_tensor_dataset_subclass_getitem_is_used():
    class Scaled(edata.TensorDataset):
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return x * 10, y

    dataset = Scaled(ember.arange(4.0), ember.arange(4))
    for data in (dataset, edata.Subset(dataset, [3, 2, 1, 0])):
        batches = [b[0].numpy().tolist() for b in edata.DataLoader(data, batch_size=2)]
        assert batches == [[data[i][0].item() for i in (0, 1)], [data[i][0].item() for i in (2, 3)]]
    assert batches[0] == [30.0, 20.0]
