"""``Unfold`` (im2col) and ``Fold`` (col2im): :func:`ember.nn.functional.unfold` and
:func:`~ember.nn.functional.fold` as layers. Each is the adjoint of the other, so each one's
``gradInput`` is the other applied to ``gradOutput`` (the op's VJP)."""

from ..functional.conv import fold_arguments, unfold_arguments
from .op_layer import OpLayer

__all__ = ["Fold", "Unfold"]


class _Sliding(OpLayer):
    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )


class Unfold(_Sliding):
    """(N, C, H, W) -> (N, C * kh * kw, L): each sliding window's values as one column."""

    def updateOutput(self, input):
        op, *args, added = unfold_arguments(
            input, self.kernel_size, self.dilation, self.padding, self.stride
        )
        return self.run(input, op, args, added_batch=added)


class Fold(_Sliding):
    """(N, C * kh * kw, L) -> (N, C, *output_size): columns summed back into their windows."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}, " + super().extra_repr()

    def updateOutput(self, input):
        op, *args, added = fold_arguments(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )
        return self.run(input, op, args, added_batch=added)
