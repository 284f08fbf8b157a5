"""CTC loss (ember.nn.functional.ctc_loss, ember.nn.CTCLoss, ember.ctc_loss) against PyTorch:
values, gradients (PyTorch's, which through a log_softmax are the logits' true gradients), grad_fn
chains, both target formats, unbatched input, zero_infinity, and PyTorch's errors."""

import numpy as np
import pytest
import torch
from conftest import TOLERANCES, assert_close
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as F

DTYPES = {np.float32: (ember.float32, torch.float32), np.float64: (ember.float64, torch.float64)}


def log_softmax(x):
    return (
        x
        - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True))
        - x.max(-1, keepdims=True)
    )


def problem(rng, frames, batch, classes, longest, blank=0, dtype=np.float64, normalised=True):
    """Random log-probabilities (T, N, C), padded targets (N, S) that never use ``blank`` (padded
    with -1 past each length), and lengths: some inputs shorter than T, some targets empty."""
    x = rng.standard_normal((frames, batch, classes))
    log_probs = (log_softmax(x) if normalised else x).astype(dtype)
    labels = rng.integers(0, classes - 1, (batch, longest))
    labels += labels >= blank  # every class but the blank
    target_lengths = rng.integers(0, longest + 1, batch)
    targets = np.where(np.arange(longest) < target_lengths[:, None], labels, -1)
    input_lengths = rng.integers(0, frames + 1, batch)
    return log_probs, targets, input_lengths, target_lengths


def concatenated(targets, target_lengths):
    return np.concatenate([row[:n] for row, n in zip(targets, target_lengths)]).astype(np.int64)


def as_lengths(lib, lengths, kind):
    if kind == "tensor":
        return lib.tensor(lengths, dtype=lib.int64)
    return tuple(int(n) for n in lengths) if kind == "tuple" else [int(n) for n in lengths]


def call(lib, log_probs, targets, input_lengths, target_lengths, *, lengths="tensor", **kwargs):
    """``lib``'s ctc_loss on fresh tensors from the arrays; the loss and the log_probs leaf."""
    functional = ember.nn.functional if lib is ember else torch.nn.functional
    leaf = lib.tensor(log_probs, requires_grad=True)
    loss = functional.ctc_loss(
        leaf,
        lib.tensor(targets),
        as_lengths(lib, input_lengths, lengths),
        as_lengths(lib, target_lengths, lengths),
        **kwargs,
    )
    return loss, leaf


def chain(tensor):
    """The grad_fn names from the result down its first inputs: how PyTorch composed it."""
    names, node = [], tensor.grad_fn
    while node is not None:
        names.append(type(node).__name__)
        node = next((n for n, _ in node.next_functions if n is not None), None)
    return names


def assert_both(arrays, dtype=np.float64, upstream=None, **kwargs):
    """ember and torch agree on the loss (value, dtype, grad_fn chain) and on the gradient of
    ``sum(loss * upstream)`` (a random upstream gradient for reduction='none')."""
    (e_loss, e_leaf), (t_loss, t_leaf) = (call(lib, *arrays, **kwargs) for lib in (ember, torch))
    rtol, atol = TOLERANCES[dtype]
    assert e_loss.dtype == DTYPES[dtype][0] and t_loss.dtype == DTYPES[dtype][1]
    assert_close(e_loss, t_loss, rtol, atol, "loss")
    assert chain(e_loss) == chain(t_loss)
    g = np.ones(t_loss.shape, dtype) if upstream is None else upstream(t_loss.shape).astype(dtype)
    e_loss.backward(ember.tensor(g))
    t_loss.backward(torch.tensor(g))
    assert_close(e_leaf.grad, t_leaf.grad, rtol, atol, "grad")
    return e_loss, e_leaf


# ----- against torch: random problems -----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    frames=st.integers(1, 7),
    batch=st.integers(1, 4),
    classes=st.integers(2, 5),
    longest=st.integers(0, 4),
    blank_at=st.floats(0, 0.999),
    reduction=st.sampled_from(["none", "mean", "sum"]),
    concatenate=st.booleans(),
    lengths=st.sampled_from(["tensor", "tuple", "list"]),
    dtype=st.sampled_from([np.float64, np.float32]),
    zero_infinity=st.booleans(),
    normalised=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_matches_torch(
    frames,
    batch,
    classes,
    longest,
    blank_at,
    reduction,
    concatenate,
    lengths,
    dtype,
    zero_infinity,
    normalised,
    seed,
):
    rng = np.random.default_rng(seed)
    blank = int(blank_at * classes)
    log_probs, targets, input_lengths, target_lengths = problem(
        rng, frames, batch, classes, longest, blank, dtype, normalised
    )
    if concatenate:
        targets = concatenated(targets, target_lengths)
    assert_both(
        (log_probs, targets, input_lengths, target_lengths),
        dtype,
        upstream=rng.standard_normal if reduction == "none" else None,
        lengths=lengths,
        blank=blank,
        reduction=reduction,
        zero_infinity=zero_infinity,
    )


@settings(max_examples=20, deadline=None)
@given(
    frames=st.integers(1, 7),
    classes=st.integers(2, 5),
    length=st.integers(0, 4),
    reduction=st.sampled_from(["none", "mean", "sum"]),
    targets_2d=st.booleans(),
    lengths=st.sampled_from(["tensor", "0-d", "tuple"]),
    zero_infinity=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_unbatched_matches_torch(
    frames, classes, length, reduction, targets_2d, lengths, zero_infinity, seed
):
    # (T, C) log-probabilities: one sequence; targets (S,) (its labels, exactly) or (1, S).
    rng = np.random.default_rng(seed)
    log_probs, targets, input_lengths, target_lengths = problem(rng, frames, 1, classes, length)
    targets = targets[:, : target_lengths[0]] if targets_2d else targets[0, : target_lengths[0]]
    kind = "tensor" if lengths == "0-d" else lengths
    if lengths == "0-d":
        input_lengths, target_lengths = input_lengths[0], target_lengths[0]
    e_loss, _ = assert_both(
        (log_probs[:, 0], targets, input_lengths, target_lengths),
        upstream=rng.standard_normal if reduction == "none" else None,
        lengths=kind,
        reduction=reduction,
        zero_infinity=zero_infinity,
    )
    assert e_loss.shape == ()


def test_larger_float32_batch_matches_torch():
    rng = np.random.default_rng(7)
    arrays = problem(rng, 60, 8, 12, 20, dtype=np.float32)
    assert_both(arrays, np.float32, reduction="mean")


def test_repeated_labels_need_a_blank_between():
    # "a a" needs three frames: with two the loss is inf (0 with zero_infinity), "a b" is fine.
    log_probs = log_softmax(np.random.default_rng(0).standard_normal((2, 2, 3)))
    arrays = (log_probs, np.array([[1, 1], [1, 2]]), np.array([2, 2]), np.array([2, 2]))
    loss, _ = call(ember, *arrays, reduction="none")
    assert np.isinf(loss.detach().numpy()[0]) and np.isfinite(loss.detach().numpy()[1])
    assert_both(arrays, reduction="none", zero_infinity=True)
    three = log_softmax(np.random.default_rng(1).standard_normal((3, 1, 3)))
    assert_both((three, np.array([[1, 1]]), np.array([3]), np.array([2])), reduction="sum")


def test_value_is_minus_log_of_the_paths_probability():
    # Two frames, target "1", blank 0: the paths are 1-1, 0-1, 1-0.
    p = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    paths = p[0, 1] * p[1, 1] + p[0, 0] * p[1, 1] + p[0, 1] * p[1, 0]
    loss = F.ctc_loss(
        ember.tensor(np.log(p)[:, None]), ember.tensor([[1]]), (2,), (1,), reduction="sum"
    )
    assert loss.item() == pytest.approx(-np.log(paths), rel=1e-12)


def test_mean_divides_by_target_lengths_at_least_one():
    rng = np.random.default_rng(3)
    log_probs, _, _, _ = problem(rng, 5, 3, 4, 3)
    targets = np.array([[1, 2, 3], [3, 1, 1], [2, 2, 1]])
    lengths = (np.array([5, 4, 5]), np.array([3, 0, 2]))
    none, _ = call(ember, log_probs, targets, *lengths, reduction="none")
    mean, _ = call(ember, log_probs, targets, *lengths, reduction="mean")
    expected = (none.detach().numpy() / np.array([3, 1, 2])).mean()
    assert mean.item() == pytest.approx(expected, rel=1e-12)


# ----- gradients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("unbatched", [False, True])
def test_gradcheck_through_log_softmax(reduction, unbatched):
    # PyTorch's gradient is that of the logits under a log_softmax (see ember.ops.ctc): checked
    # there, with repeated labels, an empty target and a short input.
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((5, 3, 4))
    targets, input_lengths, target_lengths = [[1, 1, 2], [3, 0, 0], [2, 0, 0]], (5, 4, 3), (3, 0, 1)
    if unbatched:
        logits, targets, input_lengths, target_lengths = logits[:, 0], [1, 1, 2], (5,), (3,)
    x = ember.tensor(logits, requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda a: F.ctc_loss(
            a.log_softmax(-1),
            ember.tensor(targets),
            input_lengths,
            target_lengths,
            reduction=reduction,
        ),
        (x,),
    )


def test_gradient_is_the_derivative_plus_exp_log_probs():
    # With respect to log_probs itself, PyTorch's (and ember's) gradient is the partial derivative
    # plus exp(log_probs), on frames before the input length; zero after.
    rng = np.random.default_rng(11)
    log_probs, targets, _, target_lengths = problem(rng, 5, 2, 3, 2)
    input_lengths = np.array([5, 3])
    _, leaf = assert_both((log_probs, targets, input_lengths, target_lengths), reduction="sum")

    def loss(lp):
        return F.ctc_loss(
            ember.tensor(lp), ember.tensor(targets), (5, 3), tuple(target_lengths), reduction="sum"
        ).item()

    numeric = np.zeros_like(log_probs)
    for index in np.ndindex(log_probs.shape):
        step = np.zeros_like(log_probs)
        step[index] = 1e-6
        numeric[index] = (loss(log_probs + step) - loss(log_probs - step)) / 2e-6
    seen = (np.arange(5)[:, None] < input_lengths)[:, :, None]
    expected = np.where(seen, numeric + np.exp(log_probs), 0)
    np.testing.assert_allclose(leaf.grad.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_target_with_the_blank_as_a_label_gets_the_true_gradient():
    # PyTorch's CPU kernel overwrites, instead of adding, the last frame's share of a last label
    # equal to the blank (targets should never hold the blank); ember's gradient stays right.
    logits = np.random.default_rng(2).standard_normal((4, 1, 3))
    x = ember.tensor(logits, requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda a: F.ctc_loss(a.log_softmax(-1), ember.tensor([[1, 0]]), (4,), (2,)), (x,)
    )


def test_impossible_targets_nan_gradient_or_zero_with_zero_infinity():
    rng = np.random.default_rng(4)
    log_probs, targets, _, _ = problem(rng, 4, 3, 4, 3)
    targets[:, :3] = [[1, 2, 3], [1, 2, 3], [1, 2, 3]]
    arrays = (log_probs, targets, np.array([4, 2, 3]), np.array([3, 3, 0]))  # item 1: too short
    for reduction in ("none", "mean", "sum"):
        loss, leaf = assert_both(arrays, reduction=reduction)
        assert np.isinf(loss.detach().numpy()).any()
        assert np.isnan(leaf.grad.numpy()[:2, 1]).all()  # its frames; the padding frames are 0
        assert not leaf.grad.numpy()[2:, 1].any()
        loss, leaf = assert_both(arrays, reduction=reduction, zero_infinity=True)
        assert np.isfinite(loss.detach().numpy()).all()
        assert not leaf.grad.numpy()[:, 1].any() and leaf.grad.numpy()[:, 0].any()


def test_double_backward_raises_like_torch():
    rng = np.random.default_rng(6)
    arrays = problem(rng, 4, 2, 3, 2)
    for lib in (ember, torch):
        loss, leaf = call(lib, *arrays)
        (grad,) = lib.autograd.grad(loss, leaf, create_graph=True)
        assert type(grad.grad_fn).__name__ == "NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward"):
            grad.sum().backward()


def test_no_graph_without_requires_grad_and_targets_never_differentiated():
    rng = np.random.default_rng(8)
    log_probs, targets, input_lengths, target_lengths = problem(rng, 4, 2, 3, 2)
    lengths = tuple(input_lengths), tuple(target_lengths)
    loss = F.ctc_loss(ember.tensor(log_probs), ember.tensor(targets), *lengths)
    assert loss.grad_fn is None and not loss.requires_grad
    loss, _ = call(ember, log_probs, targets.astype(np.float64), input_lengths, target_lengths)
    assert [type(n).__name__ for n, _ in loss.grad_fn.next_functions[0][0].next_functions] == [
        "CtcLossBackward0",
        "NoneType",
    ]


# ----- argument forms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype", [np.int32, np.int64, np.uint8, np.float64, np.bool_], ids=lambda d: d.__name__
)
def test_target_dtypes_are_converted_to_int64(dtype):
    rng = np.random.default_rng(9)
    log_probs, targets, input_lengths, target_lengths = problem(rng, 5, 3, 3, 2)
    targets = np.clip(targets, 0, None)
    targets = targets.astype(dtype) if dtype is not np.float64 else targets + 0.7  # truncated
    assert_both((log_probs, targets, input_lengths, target_lengths), reduction="none")


def test_lengths_in_other_forms():
    rng = np.random.default_rng(10)
    log_probs, targets, input_lengths, target_lengths = problem(rng, 5, 3, 4, 3)
    expected, _ = call(ember, log_probs, targets, input_lengths, target_lengths)
    e_targets = ember.tensor(targets)
    forms = [
        (ember.tensor(input_lengths, dtype=ember.int32), ember.tensor(target_lengths)),
        (ember.tensor(input_lengths[None]), ember.tensor(target_lengths)),  # read flat
        (tuple(ember.tensor(n) for n in input_lengths), list(target_lengths)),  # numpy ints
    ]
    for il, tl in forms:
        loss = F.ctc_loss(ember.tensor(log_probs), e_targets, il, tl)
        assert loss.item() == expected.item()


def test_module_matches_torch():
    rng = np.random.default_rng(12)
    log_probs, targets, input_lengths, target_lengths = problem(rng, 6, 3, 5, 3, blank=2)
    losses = []
    for lib in (ember, torch):
        module = lib.nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)
        assert (module.blank, module.reduction, module.zero_infinity) == (2, "sum", True)
        leaf = lib.tensor(log_probs, requires_grad=True)
        loss = module(leaf, lib.tensor(targets), tuple(input_lengths), list(target_lengths))
        loss.backward()
        losses.append((loss.item(), leaf.grad.numpy(), repr(module)))
    assert losses[0][0] == pytest.approx(losses[1][0], rel=1e-12)
    np.testing.assert_allclose(losses[0][1], losses[1][1], rtol=1e-7, atol=1e-9)
    assert losses[0][2] == losses[1][2] == "CTCLoss()"
    assert "CTCLoss" in ember.nn.__all__ and "ctc_loss" in F.__all__


@pytest.mark.parametrize("reduction", [None, 0, 1, 2, 5])
def test_top_level_takes_the_reduction_as_a_number(reduction):
    # torch.ctc_loss's reduction is at::Reduction's number; left out, it reduces nothing.
    rng = np.random.default_rng(13)
    log_probs, targets, input_lengths, target_lengths = problem(rng, 5, 3, 4, 2)
    extra = {} if reduction is None else {"reduction": reduction}
    results = []
    for lib in (ember, torch):
        leaf = lib.tensor(log_probs, requires_grad=True)
        args = (lib.tensor(targets), tuple(input_lengths), tuple(target_lengths))
        loss = lib.ctc_loss(leaf, *args, **extra)
        loss.sum().backward()
        results.append((loss.detach().numpy(), leaf.grad.numpy(), chain(loss)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-7, atol=1e-9)
    assert results[0][2] == results[1][2]
    assert "ctc_loss" in dir(ember)


# ----- errors -----------------------------------------------------------------------------------

T, N, C = 6, 3, 5
LOG_PROBS = log_softmax(np.random.default_rng(14).standard_normal((T, N, C)))
TARGETS = np.array([[1, 2, 3], [2, 2, 0], [4, 0, 0]])
INPUT_LENGTHS, TARGET_LENGTHS = np.array([6, 5, 4]), np.array([3, 2, 1])


def _tensor(lib, value):
    return lib.tensor(value) if isinstance(value, np.ndarray) else value


ERRORS = {  # id: (log_probs, targets, input_lengths, target_lengths, keyword arguments)
    "blank-high": (LOG_PROBS, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {"blank": 5}),
    "blank-negative": (LOG_PROBS, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {"blank": -1}),
    "input-length-over-T": (LOG_PROBS, TARGETS, np.array([6, 7, 4]), TARGET_LENGTHS, {}),
    "input-length-negative": (LOG_PROBS, TARGETS, np.array([6, -1, 9]), TARGET_LENGTHS, {}),
    "target-length-negative": (LOG_PROBS, TARGETS, INPUT_LENGTHS, np.array([3, -2, 1]), {}),
    "target-length-over-S": (LOG_PROBS, TARGETS, INPUT_LENGTHS, np.array([4, 2, 1]), {}),
    "input-lengths-size": (LOG_PROBS, TARGETS, INPUT_LENGTHS[:2], TARGET_LENGTHS, {}),
    "target-lengths-size": (LOG_PROBS, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS[:2], {}),
    "targets-rows": (LOG_PROBS, TARGETS[:2], INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "concatenated-size": (LOG_PROBS, np.arange(1, 6), INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "targets-3d": (LOG_PROBS, TARGETS[None], INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "targets-0d": (LOG_PROBS, np.array(1), INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "log-probs-4d": (LOG_PROBS[None], TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "log-probs-1d": (LOG_PROBS[:, 0, 0], TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "log-probs-0d": (np.array(1.0), TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "unbatched-batch-lengths": (LOG_PROBS[:, 0], TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "empty": (LOG_PROBS[:0], TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "half": (LOG_PROBS.astype(np.float16), TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "half-and-blank": (LOG_PROBS.astype(np.float16), TARGETS, INPUT_LENGTHS, 0, {"blank": 9}),
    "integer": (LOG_PROBS.astype(np.int64), TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "float-input-lengths": (LOG_PROBS, TARGETS, INPUT_LENGTHS * 1.0, TARGET_LENGTHS * 1.0, {}),
    "float-target-lengths": (LOG_PROBS, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS * 1.0, {}),
    "bool-input-lengths": (LOG_PROBS, TARGETS, INPUT_LENGTHS > 0, TARGET_LENGTHS, {}),
    "tensor-and-list": (LOG_PROBS, TARGETS, INPUT_LENGTHS, [3, 2, 1], {}),
    "int-lengths": (LOG_PROBS[:, :1], TARGETS[:1], 6, 3, {}),
    "float-in-tuple": (LOG_PROBS, TARGETS, (6.0, 5, 4), (3, 2, 1), {}),
    "bool-in-tuple": (LOG_PROBS, TARGETS, (True, 5, 4), (3, 2, 1), {}),
    "targets-list": (LOG_PROBS, TARGETS.tolist(), INPUT_LENGTHS, TARGET_LENGTHS, {}),
    "blank-float": (LOG_PROBS, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {"blank": 1.0}),
    "zero-infinity-int": (LOG_PROBS, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {"zero_infinity": 1}),
    "reduction": (LOG_PROBS, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, {"reduction": "avg"}),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_like_torch(case):
    log_probs, targets, input_lengths, target_lengths, kwargs = ERRORS[case]
    caught = []
    for lib in (ember, torch):
        functional = ember.nn.functional if lib is ember else torch.nn.functional
        args = [_tensor(lib, a) for a in (log_probs, targets, input_lengths, target_lengths)]
        with pytest.raises(Exception) as info:
            functional.ctc_loss(*args, **kwargs)
        caught.append(info.value)
    mine, theirs = caught
    assert type(mine) is type(theirs), (mine, theirs)
    if isinstance(theirs, TypeError):  # the argument parser's: the same line saying what it got
        assert str(mine).splitlines()[0] == str(theirs).splitlines()[0]
    else:
        assert str(mine) == str(theirs)


def test_target_labels_out_of_range_are_refused():
    # PyTorch reads such labels from outside its arrays (no check on the CPU); ember names them.
    # Padding past a target's length is never read, so it may hold anything.
    log_probs = ember.tensor(LOG_PROBS)
    for bad in (5, -3):
        targets = ember.tensor([[1, 2, 3], [2, bad, 0], [4, 0, 0]])
        with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
            F.ctc_loss(log_probs, targets, (6, 5, 4), (3, 2, 1))
    padded = ember.tensor([[1, 2, 3], [2, 2, -7], [4, 99, -1]])
    F.ctc_loss(log_probs, padded, (6, 5, 4), (3, 2, 1))
