"""``out=`` on the constructors and on ``ember.linalg``, the losses' dtype promotion with mixed
float32/float64 arguments, and a few number-or-tensor argument rules, each compared with PyTorch:
the same values, dtypes, returned object, warnings, and error types and messages."""

import warnings

import numpy as np
import pytest
import torch

import ember

LIBS = (ember, torch)


def outcome(program, lib):
    """``program(lib)``'s result (as NumPy, with its dtype name) or its error, and its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = program(lib)
        except Exception as error:  # the comparison is the point
            # ember names the arguments it got but does not list PyTorch's overloads after them
            message = str(error).split(", but expected one of:")[0].replace("ember", "torch")
            return {type(error).__name__: message}, []
    messages = [str(w.message).split(" (Triggered")[0] for w in caught]
    return _plain(result), [m for m in messages if "deprecated in favor" not in m]


def _plain(result):
    if isinstance(result, (ember.Tensor, torch.Tensor)):
        return (str(result.dtype).split(".")[-1], tuple(result.shape), result.detach().numpy())
    return tuple(_plain(r) for r in result)


def assert_same(program, random=False):
    (mine, my_warnings), (theirs, their_warnings) = (outcome(program, lib) for lib in LIBS)
    assert my_warnings == their_warnings
    if isinstance(theirs, dict) or isinstance(mine, dict):  # an error
        assert mine == theirs
        return
    flat_mine = mine if isinstance(mine[0], tuple) else (mine,)
    flat_theirs = theirs if isinstance(theirs[0], tuple) else (theirs,)
    for m, t in zip(flat_mine, flat_theirs, strict=True):
        assert m[:2] == t[:2]
        if not random:
            np.testing.assert_allclose(m[2], t[2], rtol=1e-5, atol=1e-6)


# ----- constructors with out= ------------------------------------------------------------------

CONSTRUCTORS = {
    "zeros": lambda lib, **k: lib.zeros(2, 3, **k),
    "ones": lambda lib, **k: lib.ones((2, 3), **k),
    "ones size=": lambda lib, **k: lib.ones(size=(3,), **k),
    "empty": lambda lib, **k: lib.empty(2, 3, **k).zero_(),
    "full": lambda lib, **k: lib.full((2,), 1.5, **k),
    "full bool fill": lambda lib, **k: lib.full((2,), True, **k),
    "arange": lambda lib, **k: lib.arange(5, **k),
    "linspace": lambda lib, **k: lib.linspace(0, 10, 5, **k),
    "logspace": lambda lib, **k: lib.logspace(0, 1, 3, **k),
    "eye": lambda lib, **k: lib.eye(2, 3, **k),
}
RANDOM_CONSTRUCTORS = {
    "rand": lambda lib, **k: lib.rand(2, 3, **k),
    "randn": lambda lib, **k: lib.randn(4, **k),
    "randint": lambda lib, **k: lib.randint(0, 5, (3,), **k),
    "randperm": lambda lib, **k: lib.randperm(4, **k),
}
OUT_DTYPES = ("float64", "float32", "int64", "int32")


@pytest.mark.parametrize("dtype", OUT_DTYPES)
@pytest.mark.parametrize("name", sorted(CONSTRUCTORS) + sorted(RANDOM_CONSTRUCTORS))
def test_constructors_write_into_out_in_its_dtype(name, dtype):
    make = {**CONSTRUCTORS, **RANDOM_CONSTRUCTORS}[name]

    def program(lib):
        out = lib.empty(0, dtype=getattr(lib, dtype))
        returned = make(lib, out=out)
        assert returned is out
        return out

    assert_same(program, random=name in RANDOM_CONSTRUCTORS)


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS) + sorted(RANDOM_CONSTRUCTORS))
def test_constructor_dtype_must_match_out(name):
    make = {**CONSTRUCTORS, **RANDOM_CONSTRUCTORS}[name]
    random = name in RANDOM_CONSTRUCTORS
    assert_same(lambda lib: make(lib, out=lib.empty(0, dtype=lib.float64), dtype=lib.float32))
    assert_same(lambda lib: make(lib, out=lib.empty(0, dtype=lib.int64), dtype=lib.int64), random)


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_constructor_resizes_out_as_pytorch_does(name):
    """Constructors resize silently, except arange, which has its own warning."""

    def program(lib):
        out = lib.ones(5, dtype=lib.float64)
        CONSTRUCTORS[name](lib, out=out)
        return out

    assert_same(program)


def test_constructor_out_errors():
    assert_same(lambda lib: lib.zeros(2, out=3))
    assert_same(lambda lib: lib.ones(2, out=lib.ones(2, requires_grad=True)))
    assert_same(lambda lib: lib.eye(2, out=lib.ones(2, requires_grad=True)))
    assert_same(lambda lib: lib.arange(2, out=lib.ones(2, requires_grad=True)))
    assert_same(lambda lib: lib.zeros_like(lib.ones(2), out=lib.ones(2)))


def test_constructor_out_with_requires_grad_makes_out_require_grad():
    for lib in LIBS:
        out = lib.empty(0, dtype=lib.float64)
        lib.zeros(2, out=out, requires_grad=True)
        assert out.requires_grad and out.is_leaf and out.dtype == lib.float64


# ----- linalg with out= ------------------------------------------------------------------------

A = np.array([[2.0, 1.0], [1.0, 3.0]])
B = np.array([[1.0, 2.0], [0.5, -1.0]])
LINALG = {
    "inv": lambda lib, a, **k: lib.linalg.inv(a, **k),
    "det": lambda lib, a, **k: lib.linalg.det(a, **k),
    "slogdet": lambda lib, a, **k: lib.linalg.slogdet(a, **k),
    "solve": lambda lib, a, **k: lib.linalg.solve(a, a[0] * 0 + 1, **k),
    "cholesky": lambda lib, a, **k: lib.linalg.cholesky(a, **k),
    "qr": lambda lib, a, **k: lib.linalg.qr(a, **k),
    "eigvalsh": lambda lib, a, **k: lib.linalg.eigvalsh(a, **k),
    "svdvals": lambda lib, a, **k: lib.linalg.svdvals(a, **k),
    "pinv": lambda lib, a, **k: lib.linalg.pinv(a, **k),
    "matrix_rank": lambda lib, a, **k: lib.linalg.matrix_rank(a, **k),
    "matrix_power 0": lambda lib, a, **k: lib.linalg.matrix_power(a, 0, **k),
    "matrix_power 1": lambda lib, a, **k: lib.linalg.matrix_power(a, 1, **k),
    "matrix_power 2": lambda lib, a, **k: lib.linalg.matrix_power(a, 2, **k),
    "matrix_power -1": lambda lib, a, **k: lib.linalg.matrix_power(a, -1, **k),
    "cross": lambda lib, a, **k: lib.linalg.cross(a.flatten()[:3], a.flatten()[1:], **k),
    "multi_dot": lambda lib, a, **k: lib.linalg.multi_dot([a, a, a], **k),
    "vector_norm": lambda lib, a, **k: lib.linalg.vector_norm(a, **k),
    "matrix_norm": lambda lib, a, **k: lib.linalg.matrix_norm(a, **k),
    "matrix_norm nuc": lambda lib, a, **k: lib.linalg.matrix_norm(a, "nuc", **k),
    "norm": lambda lib, a, **k: lib.linalg.norm(a, **k),
    "norm dim": lambda lib, a, **k: lib.linalg.norm(a, dim=0, **k),
    "matmul": lambda lib, a, **k: lib.linalg.matmul(a, a, **k),
    "torch.inverse": lambda lib, a, **k: lib.inverse(a, **k),
    "torch.cholesky": lambda lib, a, **k: lib.cholesky(a, **k),
    "torch.matrix_power": lambda lib, a, **k: lib.matrix_power(a, 3, **k),
    "torch.slogdet": lambda lib, a, **k: lib.slogdet(a, **k),
    "torch.qr": lambda lib, a, **k: lib.qr(a, **k),
}
TUPLES = {"slogdet": 2, "qr": 2, "torch.slogdet": 2, "torch.qr": 2}


def _outs(lib, name, dtype, fill=0):
    def one():
        return lib.ones(fill, dtype=getattr(lib, dtype))

    return tuple(one() for _ in range(TUPLES[name])) if name in TUPLES else one()


@pytest.mark.parametrize("out_dtype", ("float32", "float64", "int64", "bool"))
@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg_writes_into_out_or_refuses_its_dtype(name, out_dtype):
    def program(lib):
        out = _outs(lib, name, out_dtype)
        returned = LINALG[name](lib, lib.tensor(A, dtype=lib.float32), out=out)
        if isinstance(out, tuple):
            assert all(r is o for r, o in zip(returned, out, strict=True))
        else:
            assert returned is out
        return returned if isinstance(out, tuple) else out

    assert_same(program)


@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg_out_is_resized_with_the_warning(name):
    assert_same(lambda lib: LINALG[name](lib, lib.tensor(A), out=_outs(lib, name, "float32", 3)))


def test_linalg_out_errors():
    a = {lib: lib.tensor(A) for lib in LIBS}
    assert_same(lambda lib: lib.linalg.inv(a[lib], out=3))
    assert_same(lambda lib: lib.linalg.slogdet(a[lib], out=lib.empty(0)))
    assert_same(lambda lib: lib.linalg.slogdet(a[lib], out=(lib.empty(0),) * 3))
    assert_same(lambda lib: lib.det(a[lib], out=lib.empty(0)))
    assert_same(lambda lib: lib.pinverse(a[lib], out=lib.empty(0)))
    assert_same(lambda lib: lib.linalg.vector_norm(a[lib], dtype=lib.float64, out=lib.empty(0)))
    for lib in LIBS:
        with pytest.raises(RuntimeError, match="functions with out=... arguments don't support"):
            lib.linalg.inv(lib.tensor(A, requires_grad=True), out=lib.empty(0, dtype=lib.float64))
        with lib.no_grad():
            lib.linalg.inv(lib.tensor(A, requires_grad=True), out=lib.empty(0, dtype=lib.float64))
        with pytest.raises(TypeError):  # Tensor methods take no out=
            lib.tensor(A).inverse(out=lib.empty(0))
        with pytest.raises(TypeError, match="unexpected keyword argument 'out'"):
            lib.linalg.diagonal(lib.tensor(A), out=lib.empty(0))


def test_linalg_tuple_out_gets_every_result():
    for lib in LIBS:
        values, vectors = lib.empty(0), lib.empty(0)
        returned = lib.linalg.eigh(lib.tensor(A, dtype=lib.float32), out=(values, vectors))
        assert returned[0] is values and returned[1] is vectors
        np.testing.assert_allclose(values.numpy(), np.linalg.eigvalsh(A), rtol=1e-6)
        u, s, vh = lib.empty(0), lib.empty(0), lib.empty(0)
        lib.linalg.svd(lib.tensor(B, dtype=lib.float32), out=(u, s, vh))
        np.testing.assert_allclose((u * s) @ vh, B, rtol=1e-5, atol=1e-6)


# ----- the losses' dtype with float32 and float64 arguments -------------------------------------

LOSSES = {
    "cross_entropy": lambda F, x, y: F.cross_entropy(x, y.softmax(1)),
    "cross_entropy smoothed": lambda F, x, y: F.cross_entropy(x, y, label_smoothing=0.1),
    "cross_entropy none": lambda F, x, y: F.cross_entropy(x, y, reduction="none").sum(),
    "kl_div": lambda F, x, y: F.kl_div(x, y, reduction="batchmean"),
    "kl_div log target": lambda F, x, y: F.kl_div(x, y, reduction="sum", log_target=True),
    "binary_cross_entropy": lambda F, x, y: F.binary_cross_entropy(x.sigmoid(), y),
    "mse_loss": lambda F, x, y: F.mse_loss(x, y),
    "l1_loss": lambda F, x, y: F.l1_loss(x, y),
    "smooth_l1_loss": lambda F, x, y: F.smooth_l1_loss(x, y),
    "bce_with_logits": lambda F, x, y: F.binary_cross_entropy_with_logits(x, y),
    "bce_with_logits none": lambda F, x, y: F.binary_cross_entropy_with_logits(
        x, y, reduction="none"
    ).sum(),
}


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32")])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_dtype_and_gradient_dtypes_with_mixed_floats(name, dtypes):
    rng = np.random.default_rng(0)
    x_array, y_array = rng.random((3, 4)), rng.random((3, 4))

    def program(lib):
        x = lib.tensor(x_array, dtype=getattr(lib, dtypes[0]), requires_grad=True)
        y = lib.tensor(y_array, dtype=getattr(lib, dtypes[1]), requires_grad=True)
        loss = LOSSES[name](lib.nn.functional, x, y)
        loss.backward()
        grads = (y.grad,) if y.grad is not None else ()
        return (loss, x.grad, *grads)

    assert_same(program)


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32")])
def test_loss_modules_promote_as_the_functions(dtypes):
    def program(lib):
        x = lib.tensor([[0.2, -1.0], [0.5, 2.0]], dtype=getattr(lib, dtypes[0]))
        y = lib.tensor([[0.3, 0.7], [1.0, 0.0]], dtype=getattr(lib, dtypes[1]))
        return lib.nn.BCEWithLogitsLoss()(x, y), lib.nn.CrossEntropyLoss()(x, y)

    assert_same(program)
    assert_same(lambda lib: lib.nn.BCELoss()(lib.ones(2) / 2, lib.ones(2, dtype=lib.float64)))


def test_cross_entropy_probabilities_promote_to_the_weight_dtype():
    def program(lib):
        x = lib.tensor([[0.2, -1.0], [0.5, 2.0]])
        return lib.nn.functional.cross_entropy(
            x, x.softmax(1), weight=lib.tensor([1.0, 2.0], dtype=lib.float64)
        )

    assert_same(program)


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32")])
def test_huber_loss_keeps_the_input_dtype(dtypes):
    """PyTorch computes it in the input's dtype (and fails in backward; see the report)."""
    assert_same(
        lambda lib: lib.nn.functional.huber_loss(
            lib.ones(3, dtype=getattr(lib, dtypes[0])) / 3,
            lib.zeros(3, dtype=getattr(lib, dtypes[1])),
        )
    )


def test_binary_cross_entropy_refuses_another_target_dtype():
    assert_same(
        lambda lib: lib.nn.functional.binary_cross_entropy(
            lib.ones(2) / 2, lib.ones(2, dtype=lib.int64)
        )
    )


# ----- number arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "program",
    [
        lambda lib: lib.ones(),
        lambda lib: lib.zeros(),
        lambda lib: lib.empty(),
        lambda lib: lib.zeros(dtype=lib.float64),
        lambda lib: lib.ones(requires_grad=True),
        lambda lib: lib.rand(),
        lambda lib: lib.randn(),
        lambda lib: lib.rand(dtype=lib.float64),
        lambda lib: lib.ones(()),
        lambda lib: lib.zeros([]),
        lambda lib: lib.zeros(size=()),
        lambda lib: lib.fmod(2.0, lib.ones(2)),
        lambda lib: lib.fmod(2, 3),
        lambda lib: lib.fmod("a", lib.ones(2)),
        lambda lib: lib.fmod(lib.ones(2) * 3, 2.0),
        lambda lib: lib.atan2(2.0, lib.ones(2)),
        lambda lib: lib.atan2(lib.ones(2), 2.0),
        lambda lib: lib.atan2("a", lib.ones(2)),
        lambda lib: lib.atan2(lib.ones(2), lib.ones(2) * 2),
        lambda lib: lib.remainder(2.0, lib.ones(2) * 3),
        lambda lib: lib.add(1.5, 2),
        lambda lib: lib.pow(2, 3),
    ],
)
def test_sizes_and_numbers_as_pytorch(program):
    assert_same(program, random="rand" in program.__code__.co_names)
