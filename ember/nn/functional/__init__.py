"""``ember.nn.functional``: the layers and losses of :mod:`ember.nn` as functions
(``F.relu(x)``, ``F.cross_entropy(logits, target)``), with PyTorch's names and arguments."""

from .activation import (
    celu,
    elu,
    elu_,
    gelu,
    glu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    tanh,
    tanhshrink,
)
from .attention import scaled_dot_product_attention
from .channel_dropout import dropout1d, dropout2d, dropout3d
from .conv import conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, fold, unfold
from .distance import cosine_similarity, normalize, pairwise_distance
from .dropout import dropout
from .linear import bilinear, linear
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .normalization import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from .padding import pad
from .pixel_shuffle import pixel_shuffle, pixel_unshuffle
from .pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
)
from .sparse import embedding, one_hot
from .upsampling import interpolate, upsample

__all__ = [
    "elu",
    "elu_",
    "gelu",
    "leaky_relu",
    "leaky_relu_",
    "log_softmax",
    "relu",
    "relu_",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
    "hardtanh",
    "relu6",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "mish",
    "selu",
    "celu",
    "softsign",
    "tanhshrink",
    "glu",
    "normalize",
    "cosine_similarity",
    "pairwise_distance",
    "dropout",
    "linear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
    "margin_ranking_loss",
    "cosine_embedding_loss",
]

__all__ += [  # spatial layers, normalization, lookups, attention (the real-models issue)
    "scaled_dot_product_attention",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "fold",
    "unfold",
    "batch_norm",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "rms_norm",
    "pad",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "max_pool1d",
    "max_pool1d_with_indices",
    "max_pool2d",
    "max_pool2d_with_indices",
    "embedding",
    "one_hot",
    "interpolate",
    "upsample",
]

__all__ += [  # more PyTorch functions
    "prelu",
    "bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
]
