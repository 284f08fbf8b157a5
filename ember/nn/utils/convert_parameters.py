"""A model's parameters as one flat vector, and back."""

from ...functions import cat
from ...tensor import Tensor, wrap

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _same_device(parameters):
    """The parameters, checked to live on one device."""
    parameters = list(parameters)
    devices = {str(p.device) for p in parameters}
    if len(devices) > 1:
        raise TypeError(
            f"Found two parameters on different devices ({', '.join(sorted(devices))}), "
            "this is currently not supported."
        )
    return parameters


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and concatenated into one 1-D tensor (differentiable)."""
    return cat([p.reshape(-1) for p in _same_device(parameters)])


def vector_to_parameters(vec, parameters):
    """Make each parameter's data the next slice of the 1-D tensor ``vec``, reshaped to the
    parameter's shape: the parameters then share ``vec``'s memory."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters expects a 1-D vec, got shape {tuple(vec.shape)}")
    parameters = _same_device(parameters)
    needed = sum(p.numel() for p in parameters)
    if vec.numel() < needed:
        raise ValueError(
            f"vector_to_parameters: vec has {vec.numel()} elements but the parameters need {needed}"
        )
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = wrap(vec._data[pointer : pointer + n].reshape(p._data.shape))
        pointer += n
