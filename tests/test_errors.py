"""The errors of issue 2, section 5: a RuntimeError whose message names the problem in the words
PyTorch users search for. Where PyTorch raises the same error, it is checked to raise too."""

import re

import numpy as np
import pytest
import torch

import ember

LIBS = [ember, torch]


def raises_in_both(fn, *words):
    """``fn(lib)`` raises a RuntimeError containing every one of ``words`` in ember, and a
    RuntimeError in torch (whose wording ember follows)."""
    for lib in LIBS:
        with pytest.raises(RuntimeError) as error:
            fn(lib)
        if lib is ember:
            for word in words:
                assert word in str(error.value), f"{word!r} not in {str(error.value)!r}"


# ----- shapes that cannot be multiplied or broadcast ----------------------------------------------


def test_mm_names_both_shapes():
    raises_in_both(
        lambda lib: lib.randn(64, 1000).mm(lib.randn(100, 10)),
        "mat1 and mat2 shapes cannot be multiplied (64x1000 and 100x10)",
    )


@pytest.mark.parametrize("a, b", [((2, 3), (4, 5)), ((5, 2, 3), (2, 3)), ((3,), (2, 2))])
def test_matmul_names_both_shapes(a, b):
    def fn(lib):
        return lib.ones(*a) @ lib.ones(*b)

    with pytest.raises(RuntimeError, match="cannot be multiplied") as error:
        fn(ember)
    assert "x".join(map(str, b)) in str(error.value)
    with pytest.raises(RuntimeError):
        fn(torch)


def test_addmm_and_linear_style_products_name_the_shapes():
    raises_in_both(
        lambda lib: lib.addmm(lib.ones(2), lib.ones(2, 3), lib.ones(4, 2)),
        "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x2)",
    )


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "maximum", "where", "pow"])
def test_broadcast_errors_name_both_shapes(op):
    def fn(lib):
        a, b = lib.ones(2, 3), lib.ones(4, 1, 2)
        return {
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b,
            "maximum": lambda: lib.maximum(a, b),
            "pow": lambda: a**b,
            "where": lambda: lib.where(a > 0, a, b),
        }[op]()

    with pytest.raises(RuntimeError) as error:
        fn(ember)
    message = str(error.value)
    assert "[2, 3]" in message and "[4, 1, 2]" in message, message
    with pytest.raises(RuntimeError):
        fn(torch)


def test_inplace_broadcast_error_names_both_shapes():
    raises_in_both(
        lambda lib: lib.ones(3).add_(lib.ones(2, 3)),
        "output with shape [3] doesn't match the broadcast shape [2, 3]",
    )


@pytest.mark.parametrize("grad_enabled", [True, False])
def test_inplace_with_shapes_that_do_not_broadcast(grad_enabled):
    # Under no_grad too (an update step's fast path): a RuntimeError naming the sizes, not
    # NumPy's ValueError.
    def update(lib):
        w = lib.ones(2, 3)
        with lib.set_grad_enabled(grad_enabled):
            w -= lib.ones(3, 3)

    raises_in_both(update, "The size of tensor a")
    with pytest.raises(RuntimeError, match=r"\[2, 3\].*\[3, 3\]"):
        update(ember)


# ----- backward without a gradient on a non-scalar --------------------------------------------


def test_backward_on_a_non_scalar_needs_a_gradient():
    raises_in_both(
        lambda lib: (lib.ones(2, 2, requires_grad=True) * 2).backward(),
        "grad can be implicitly created only for scalar outputs",
    )
    raises_in_both(
        lambda lib: lib.autograd.grad(lib.ones(3, requires_grad=True) * 2, lib.ones(1)),
        "grad can be implicitly created only for scalar outputs",
    )


def test_backward_gradient_of_the_wrong_shape():
    raises_in_both(
        lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(lib.ones(3)), "Mismatch in shape"
    )


def test_backward_on_a_tensor_that_does_not_require_grad():
    raises_in_both(
        lambda lib: lib.ones(2).sum().backward(),
        "does not require grad and does not have a grad_fn",
    )


# ----- a second backward through a freed graph ----------------------------------------------------

FREED = ("Trying to backward through the graph a second time", "Specify retain_graph=True")


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, x: (x * x).sum(),
        lambda lib, x: x.exp().sum(),
        lambda lib, x: (x.mm(x.t())).sum(),
        lambda lib, x: x.sigmoid().tanh().mean(),
        lambda lib, x: x.pow(3).sum(),
    ],
)
def test_second_backward_through_a_freed_graph(make):
    def fn(lib):
        y = make(lib, lib.ones(2, 2, requires_grad=True))
        y.backward()
        y.backward()

    raises_in_both(fn, *FREED)


def test_grad_frees_the_graph_too():
    def fn(lib):
        x = lib.ones(2, requires_grad=True)
        y = (x * x).sum()
        lib.autograd.grad(y, x)
        y.backward()

    raises_in_both(fn, *FREED)


# ----- in-place changes to values backward needs ------------------------------------------------


def test_modified_saved_tensor_names_the_op_and_the_versions():
    def fn(lib):
        x = lib.ones(3, requires_grad=True)
        w = x * 1
        y = w.exp()  # saves its output y
        y.add_(1)
        y.sum().backward()

    raises_in_both(
        fn,
        "one of the variables needed for gradient computation has been modified "
        "by an inplace operation",
        "ExpBackward0",
        "is at version 1",
        "expected version 0",
    )


def test_modified_saved_input_names_the_op():
    def fn(lib):
        x = lib.ones(3, requires_grad=True)
        w = x * 1
        y = w.sin()
        w.mul_(2)
        w.mul_(2)
        y.sum().backward()

    raises_in_both(
        fn, "modified by an inplace operation", "SinBackward0", "version 2", "expected version 0"
    )


def test_modified_through_a_view():
    def fn(lib):
        x = lib.ones(2, 2, requires_grad=True)
        y = x.tanh()
        y[0].zero_()
        y.sum().backward()

    raises_in_both(fn, "modified by an inplace operation", "TanhBackward0")


# What a node keeps unchanged depends on which of its arguments need gradients, as in PyTorch:
# x * c reads c for x's gradient and x only for c's. Each case runs an in-place change to one
# argument (or the result) between forward and backward; ember must raise exactly when torch does.
def _changed(make_op, change, grads):
    def fn(lib):
        x = lib.randn(3, 3, requires_grad=True)
        c = lib.randn(3, 3, requires_grad=grads == "both")
        y = x * 2  # a non-leaf, so it may be changed in place
        z = make_op(lib, y, c)
        {"y": y, "c": c, "z": z}[change].add_(1)
        z.sum().backward()

    return fn


VERSION_CASES = [
    ("y * c", lambda lib, y, c: y * c),
    ("y * 1.5", lambda lib, y, c: y * 1.5),
    ("y / c", lambda lib, y, c: y / c),
    ("y / 3", lambda lib, y, c: y / 3.0),
    ("y @ c", lambda lib, y, c: y @ c),
    ("c @ y", lambda lib, y, c: c @ y),
    ("y.mm(c)", lambda lib, y, c: y.mm(c)),
    ("linear(y, c)", lambda lib, y, c: lib.nn.functional.linear(y, c)),
    ("where", lambda lib, y, c: lib.where(c > 0, y, c)),
    ("y + c", lambda lib, y, c: y + c),
    ("y.tanh()", lambda lib, y, c: y.tanh() + c),
    ("y ** 2", lambda lib, y, c: y**2 + c),
]


# (Not c changed while it requires grad: a leaf that requires grad cannot change in place at all.)
CHANGES = [("y", "x"), ("c", "x"), ("z", "x"), ("y", "both"), ("z", "both")]


@pytest.mark.parametrize("change, grads", CHANGES)
@pytest.mark.parametrize("name, make_op", VERSION_CASES, ids=[n for n, _ in VERSION_CASES])
def test_in_place_change_raises_exactly_when_torch_does(name, make_op, change, grads):
    fn = _changed(make_op, change, grads)
    try:
        fn(torch)
        torch_raises = False
    except RuntimeError:
        torch_raises = True
    if torch_raises:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            fn(ember)
    else:
        fn(ember)  # no error: the changed value is not one backward reads


# ----- requires_grad on integer tensors -----------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.tensor([1, 2]).requires_grad_(),
        lambda lib: lib.tensor([1, 2], requires_grad=True),
        lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=True),
        lambda lib: lib.arange(3, requires_grad=True),
        lambda lib: setattr(lib.tensor([True]), "requires_grad", True),
        lambda lib: lib.ones(2, dtype=lib.int32).requires_grad_(True),
    ],
)
def test_requires_grad_on_an_integer_tensor(make):
    for lib in LIBS:
        with pytest.raises(
            RuntimeError,
            match=re.compile(
                "only Tensors of floating point.*dtype can require gradients", re.IGNORECASE
            ),
        ):
            make(lib)


def test_requires_grad_error_uses_the_issues_words():
    # Issue 2 quotes the message with a capital O, as PyTorch's factory functions spell it.
    for make in (
        lambda: ember.ones(2, dtype=ember.int64).requires_grad_(),
        lambda: ember.tensor([1, 2], requires_grad=True),
    ):
        with pytest.raises(RuntimeError, match="Only Tensors of floating point dtype can require"):
            make()


# ----- in-place on a leaf that requires grad ------------------------------------------------------

LEAF = "a leaf Variable that requires grad is being used in an in-place operation"


def _iadd(t):
    t += 1


def _setitem(t):
    t[0] = 5.0


@pytest.mark.parametrize(
    "change",
    [
        lambda lib, t: t.add_(1),
        lambda lib, t: t.sub_(1),
        lambda lib, t: t.mul_(2),
        lambda lib, t: t.div_(2),
        lambda lib, t: t.zero_(),
        lambda lib, t: t.fill_(1.0),
        lambda lib, t: t.clamp_(0, 1),
        lambda lib, t: t.copy_(lib.zeros(3)),
        lambda lib, t: t.masked_fill_(t > 0, 0.0),
        lambda lib, t: t.uniform_(),
        lambda lib, t: t.normal_(),
        lambda lib, t: _iadd(t),
        lambda lib, t: _setitem(t),
    ],
)
def test_inplace_on_a_leaf_that_requires_grad(change):
    raises_in_both(lambda lib: change(lib, lib.ones(3, requires_grad=True)), LEAF)


def test_inplace_on_a_view_of_such_a_leaf():
    raises_in_both(
        lambda lib: lib.ones(2, 3, requires_grad=True)[0].add_(1),
        "a view of a leaf Variable that requires grad is being used in an in-place operation",
    )


def test_inplace_on_a_leaf_is_fine_under_no_grad():
    x = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        x.add_(1)
        x[0] = 0.0
        x.zero_()
    assert x.tolist() == [0.0, 0.0, 0.0] and x.requires_grad


# ----- anomaly detection -----------------------------------------------------------------------


def test_detect_anomaly_names_the_op_and_where_it_was_created():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = x.sqrt()  # the line the error must show
        loss = (y * 0).sum()  # d(loss)/dy = 0 and 0 / (2 sqrt(0)) is nan
        with pytest.raises(RuntimeError) as error:
            loss.backward()
    message = str(error.value)
    assert "Function 'SqrtBackward0' returned nan values" in message
    assert "y = x.sqrt()" in message and "test_errors.py" in message
    assert not ember.autograd.is_anomaly_enabled()
    t = torch.tensor([0.0, 1.0], requires_grad=True)
    with torch.autograd.detect_anomaly(), pytest.warns(UserWarning):
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values"):
            (t.sqrt() * 0).sum().backward()


def test_without_anomaly_mode_nan_passes_silently_as_in_torch():
    for lib in LIBS:
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        with np.errstate(all="ignore"):
            (x.sqrt() * 0).sum().backward()
        assert np.isnan(x.grad.numpy()[0])


def test_anomaly_mode_ignores_finite_gradients():
    x = ember.tensor([1.0, 4.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        x.sqrt().sum().backward()
    assert x.grad.tolist() == [0.5, 0.25]
