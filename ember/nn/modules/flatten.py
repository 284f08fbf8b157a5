"""``Flatten``: merge dims ``start_dim..end_dim`` into one (a view); its gradient is the
gradient reshaped back to the input's shape. ``Unflatten`` splits one dim into several."""

from ...tensor import Tensor, wrap
from ..module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def updateOutput(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"Flatten: input must be a Tensor, got {type(input).__name__}")
        output = input.flatten(self.start_dim, self.end_dim)
        self._remember(input, output)
        return output

    def updateGradInput(self, input, gradOutput):
        if self._check_input(input, "updateGradInput"):
            shape = self.output._data.shape
        else:
            shape = input.flatten(self.start_dim, self.end_dim)._data.shape
        grad = self._check_grad_output(gradOutput, shape, input._data.dtype)
        self.gradInput = wrap(grad.reshape(input._data.shape))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        pass


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (a view; autograd gives the gradient)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)
