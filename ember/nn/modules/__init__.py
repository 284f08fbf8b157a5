"""The layers and losses of :mod:`ember.nn`, one concept per file."""

from ..module import Module
from .activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftMax,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    SoftMax,
    Softmax,
    Softplus,
    Tanh,
)
from .attention import MultiheadAttention
from .channel_dropout import Dropout1d, Dropout2d, Dropout3d
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, SpatialConvolution
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import (
    AbsCriterion,
    BCECriterion,
    BCELoss,
    BCEWithLogitsLoss,
    ClassNLLCriterion,
    CrossEntropyCriterion,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSECriterion,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    BatchNormalization,
    GroupNorm,
    LayerNorm,
    RMSNorm,
    SpatialBatchNormalization,
)
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
    SpatialAveragePooling,
    SpatialMaxPooling,
)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding, LookupTable
from .transformer import (
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = [
    "Module", "ELU", "GELU", "LeakyReLU", "LogSoftmax", "LogSoftMax", "ReLU", "Sigmoid", "SiLU",
    "Softmax", "SoftMax", "Softplus", "Tanh", "ModuleDict", "ModuleList", "Sequential",
    "Dropout", "Flatten", "Identity", "Linear", "AbsCriterion", "BCECriterion", "BCELoss",
    "BCEWithLogitsLoss", "ClassNLLCriterion", "CrossEntropyCriterion", "CrossEntropyLoss",
    "HuberLoss", "KLDivLoss", "L1Loss", "MSECriterion", "MSELoss", "NLLLoss", "SmoothL1Loss",
]

__all__ += [  # spatial layers, normalization, lookups (the real-models issue)
    "Dropout1d", "Dropout2d", "Dropout3d", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
    "ConvTranspose2d", "SpatialConvolution", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
    "BatchNormalization", "GroupNorm", "LayerNorm", "RMSNorm", "SpatialBatchNormalization",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d",
    "SpatialAveragePooling", "SpatialMaxPooling", "Embedding", "LookupTable", "GRU", "LSTM",
    "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase", "MultiheadAttention",
    "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
    "TransformerEncoderLayer",
]
