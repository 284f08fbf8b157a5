"""Attention against PyTorch and finite differences: scaled_dot_product_attention with boolean
and additive masks (broadcast, and differentiable), is_causal, scale, dropout; second order;
errors. (MultiheadAttention and the Transformer layers are further down.)"""

import numpy as np
import pytest
import torch
from conftest import check_gradcheck, random_array, rng_for, run_both
from torch_parity import SelfAttention, compare_modules, same_weights

import ember
import ember.nn.functional  # noqa: F401


def F(lib):
    return lib.nn.functional


def _arrays(seed, *shapes, dtype=np.float64):
    rng = rng_for(seed)
    return [random_array(rng, s, dtype) for s in shapes]


QKV = [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kwargs", [{}, {"is_causal": True}, {"scale": 0.3}, {"is_causal": True, "scale": 2.0}]
)
def test_attention_matches_torch(kwargs, dtype):
    q, k, v = _arrays(0, *QKV, dtype=dtype)
    run_both(
        lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v, **kwargs),
        [q, k, v],
        second_order=dtype == np.float64,
    )


def test_attention_three_dims_and_self_attention_match_torch():
    (x,) = _arrays(1, (3, 5, 4))
    run_both(
        lambda lib, x: F(lib).scaled_dot_product_attention(x, x, x, is_causal=True),
        [x],
        second_order=True,
    )


def test_boolean_mask_matches_torch():
    q, k, v = _arrays(2, *QKV)
    mask = rng_for(3).random((4, 6)) > 0.3
    mask[:, 0] = True  # every query sees at least one key
    run_both(
        lambda lib, q, k, v, m: F(lib).scaled_dot_product_attention(q, k, v, attn_mask=m),
        [q, k, v, mask],
        second_order=True,
    )


def test_additive_mask_is_differentiable_and_broadcasts():
    q, k, v, bias = _arrays(4, *QKV, (3, 1, 6))
    run_both(
        lambda lib, q, k, v, m: F(lib).scaled_dot_product_attention(q, k, v, attn_mask=m),
        [q, k, v, bias],
        second_order=True,
    )


def test_attention_gradcheck():
    q, k, v, bias = _arrays(5, (1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 3), (2, 1, 5))
    check_gradcheck(
        lambda lib, q, k, v, m: F(lib).scaled_dot_product_attention(q, k, v, attn_mask=m),
        [q, k, v, bias],
        second_order=True,
    )
    check_gradcheck(
        lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v, is_causal=True),
        [q, k[:, :, :3], v[:, :, :3]],
    )


def test_attention_dropout_drops_weights_and_rescales():
    q, k = (ember.from_numpy(a) for a in _arrays(6, (1, 1, 200, 4), (1, 1, 8, 4)))
    v = ember.ones(1, 1, 8, 1, dtype=ember.float64)
    ember.manual_seed(0)
    out = F(ember).scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    # each output is the sum of the kept weights (which sum to 1 before dropout) times 2
    values = out.numpy().ravel()
    assert abs(values.mean() - 1) < 0.1 and values.std() > 0.1
    ember.manual_seed(0)
    again = F(ember).scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(values, again.numpy().ravel())  # the generator decides
    qg = q.detach().requires_grad_()
    F(ember).scaled_dot_product_attention(qg, k, v, dropout_p=0.5).sum().backward()
    assert qg.grad is not None and np.isfinite(qg.grad.numpy()).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda F, q: F.scaled_dot_product_attention(q, q[..., :2], q), "must match key's"),
        (lambda F, q: F.scaled_dot_product_attention(q, q, q[:, :, :2]), "same sequence length"),
        (
            lambda F, q: F.scaled_dot_product_attention(
                q, q, q, attn_mask=ember.ones(3, 3, dtype=bool), is_causal=True
            ),
            "should not be set",
        ),
        (
            lambda F, q: F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(5, 5)),
            "cannot be broadcast",
        ),
        (lambda F, q: F.scaled_dot_product_attention(q, q.double(), q), "same dtype"),
        (lambda F, q: F.scaled_dot_product_attention(q, q[:, :1], q[:, :1]), "pass enable_gqa"),
    ],
)
def test_attention_errors_name_the_problem(call, message):
    q = ember.zeros(1, 2, 3, 4)
    with pytest.raises((RuntimeError, ValueError)) as info:
        call(F(ember), q)
    assert message in str(info.value)


# ----- MultiheadAttention and the Transformer layers ---------------------------------------------


def _mha_inputs(batch_first, kdim=8, vdim=8, seed=7):
    rng = rng_for(seed)
    length, source, batch = 4, 5, 3

    def shape(n, d):
        return (batch, n, d) if batch_first else (n, batch, d)

    q, k, v = (
        random_array(rng, shape(n, d)) for n, d in ((length, 8), (source, kdim), (source, vdim))
    )
    attn_mask = rng.random((length, source)) < 0.3
    padding = rng.random((batch, source)) < 0.3
    attn_mask[:, 0] = padding[:, 0] = False  # every query sees some key
    return [q, k, v], attn_mask, padding


@pytest.mark.parametrize(
    "kwargs", [{}, {"batch_first": True}, {"kdim": 3, "vdim": 5}, {"bias": False}]
)
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_matches_torch(kwargs, need_weights):
    theirs = torch.nn.MultiheadAttention(8, 2, **kwargs).double()
    mine = ember.nn.MultiheadAttention(8, 2, **kwargs).double()
    same_weights(mine, theirs)
    inputs, attn_mask, padding = _mha_inputs(
        kwargs.get("batch_first", False), kwargs.get("kdim", 8), kwargs.get("vdim", 8)
    )

    def masks(lib):
        return {
            "attn_mask": lib.from_numpy(attn_mask),
            "need_weights": need_weights,
            "key_padding_mask": lib.from_numpy(padding),
        }

    compare_modules(mine, theirs, inputs, kwargs=masks)
    if need_weights:
        compare_modules(mine, theirs, inputs, kwargs=masks, select=lambda out: out[1])
        compare_modules(
            mine,
            theirs,
            inputs,
            select=lambda out: out[1],
            kwargs=lambda lib: {"average_attn_weights": False},
        )


def test_multihead_self_attention_float_mask_and_unbatched_match_torch():
    theirs = torch.nn.MultiheadAttention(6, 3).double()
    mine = ember.nn.MultiheadAttention(6, 3).double()
    same_weights(mine, theirs)
    (x,) = _arrays(8, (4, 6))  # (L, E): one sample
    causal = np.triu(np.full((4, 4), -np.inf), 1)
    compare_modules(
        mine,
        theirs,
        [x, x, x],
        kwargs=lambda lib: {"attn_mask": lib.from_numpy(causal), "is_causal": True},
    )


def test_multihead_attention_passes_the_harness_and_defaults_are_pytorchs():
    ember.manual_seed(0)
    attention = ember.nn.MultiheadAttention(8, 2, batch_first=True)
    bound = np.sqrt(6 / (8 + 24))  # xavier_uniform_ on the (3E, E) in_proj_weight
    weight = attention.in_proj_weight.detach().numpy()
    assert (np.abs(weight) <= bound).all() and weight.std() > 0.45 * bound
    assert not attention.in_proj_bias.detach().numpy().any()
    assert not attention.out_proj.bias.detach().numpy().any()
    ember.testing.check_module(SelfAttention(attention), ember.randn(2, 3, 8))


@pytest.mark.parametrize(
    "kwargs", [{}, {"norm_first": True, "batch_first": True, "activation": "gelu"}]
)
def test_transformer_layers_match_torch(kwargs):
    batch_first = kwargs.get("batch_first", False)
    causal = np.triu(np.ones((4, 4), bool), 1)
    encoder = (
        ember.nn.TransformerEncoderLayer(8, 2, 16, **kwargs).double().eval(),
        torch.nn.TransformerEncoderLayer(8, 2, 16, **kwargs).double().eval(),
    )
    same_weights(*encoder)
    (x,) = _arrays(9, (3, 4, 8) if batch_first else (4, 3, 8))
    compare_modules(*encoder, [x], kwargs=lambda lib: {"src_mask": lib.from_numpy(causal)})
    decoder = (
        ember.nn.TransformerDecoderLayer(8, 2, 16, **kwargs).double().eval(),
        torch.nn.TransformerDecoderLayer(8, 2, 16, **kwargs).double().eval(),
    )
    same_weights(*decoder)
    (memory,) = _arrays(10, (3, 5, 8) if batch_first else (5, 3, 8))
    compare_modules(*decoder, [x, memory], kwargs=lambda lib: {"tgt_mask": lib.from_numpy(causal)})


def test_transformer_encoder_stack_matches_torch_and_passes_the_harness():
    theirs = (
        torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(8, 2, 16),
            2,
            norm=torch.nn.LayerNorm(8),
            enable_nested_tensor=False,
        )
        .double()
        .eval()
    )
    mine = (
        ember.nn.TransformerEncoder(
            ember.nn.TransformerEncoderLayer(8, 2, 16), 2, norm=ember.nn.LayerNorm(8)
        )
        .double()
        .eval()
    )
    assert list(mine.state_dict()) == list(theirs.state_dict())
    same_weights(mine, theirs)
    (x,) = _arrays(11, (4, 3, 8))
    compare_modules(mine, theirs, [x])
    ember.testing.check_module(mine, ember.from_numpy(x), unbatched=False)
    decoder = ember.nn.TransformerDecoder(ember.nn.TransformerDecoderLayer(8, 2, 16), 2)
    assert decoder(ember.randn(4, 3, 8), ember.randn(5, 3, 8)).shape == (4, 3, 8)


def test_transformer_dropout_is_active_in_training_only():
    layer = ember.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = ember.randn(4, 3, 8)
    ember.manual_seed(0)
    first = layer(x).detach().numpy()
    second = layer(x).detach().numpy()
    assert not np.allclose(first, second)
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda nn: nn.MultiheadAttention(8, 3), "divisible by num_heads"),
        (
            lambda nn: nn.MultiheadAttention(8, 2)(
                ember.zeros(4, 2, 6), ember.zeros(4, 2, 6), ember.zeros(4, 2, 6)
            ),
            "embedding dimension of 8",
        ),
        (
            lambda nn: nn.MultiheadAttention(8, 2)(
                ember.zeros(4, 2, 8),
                ember.zeros(5, 2, 8),
                ember.zeros(5, 2, 8),
                attn_mask=ember.zeros(4, 4),
            ),
            "should be [4, 5]",
        ),
        (
            lambda nn: nn.MultiheadAttention(8, 2)(
                ember.zeros(4, 2, 8), ember.zeros(4, 2, 8), ember.zeros(4, 2, 8), is_causal=True
            ),
            "Need attn_mask",
        ),
        (lambda nn: nn.TransformerEncoderLayer(8, 2, activation="tanh"), "relu/gelu"),
    ],
)
def test_attention_module_errors_name_the_problem(call, message):
    with pytest.raises((RuntimeError, AssertionError, ValueError)) as info:
        call(ember.nn)
    assert message in str(info.value)
