"""``OpLayer``: the protocol of a layer whose forward is one op of :mod:`ember.ops`.

Such a layer's Torch7 backward needs no formula of its own: ``updateGradInput`` and
``accGradParameters`` run the op's VJPs (the ones autograd runs) on the arrays the last forward
gave the op. So the hand-driven layer and autograd cannot disagree, and neither reruns forward.

A subclass's ``updateOutput`` calls :meth:`OpLayer.run` with the op, its arguments, where the
input sits among them and where each parameter does. A forward that is not one op (a padding
mode, say) calls :meth:`OpLayer.composite` instead, and the protocol falls back to
:class:`~ember.nn.Module`'s default (autograd on a rerun of forward).
"""

from ...functions import squeeze
from ...ops import xp_numpy
from ...tensor import Tensor, apply, wrap
from ..module import Module, accumulate_grad

__all__ = ["OpLayer"]


class OpLayer(Module):
    """A layer that is ``op(*args)``; its protocol methods are the op's VJPs."""

    def run(self, input, op, args, input_at=0, params=None, added_batch=False):
        """``op(*args)`` recorded for autograd and remembered for the protocol. ``params`` maps
        argument positions to the parameters there; ``added_batch``: the op saw ``input`` with a
        batch dim added, which the output drops again."""
        output = apply(op, *args)
        arrays = tuple(a._data if isinstance(a, Tensor) else a for a in args)
        self.__dict__["_op_call"] = (op, arrays, input_at, params or {}, output._data)
        if added_batch:
            output = squeeze(output, 0)
        self._remember(input, output)
        return output

    def composite(self, input, output):
        """A forward of several ops: the protocol falls back to autograd on a rerun."""
        self.__dict__["_op_call"] = None
        self._remember(input, output)
        return output

    def _call(self, input, method):
        call = self.__dict__.get("_op_call")
        if call is None or not self._check_input(input, method):
            return None
        return call

    def _grads(self, call, gradOutput, wanted, method):
        op, arrays, _, _, out = call
        grad = self._check_grad_output(gradOutput, self.output._data.shape, out.dtype, method)
        grad = grad.reshape(out.shape)
        if op.backward is not None:
            every = op.backward(xp_numpy, grad, *arrays, out)
            return {i: every[i] for i in wanted}
        return {i: op.vjps[i](xp_numpy, grad, *arrays, out) for i in wanted}

    def _param_items(self, call):
        return [(i, p) for i, p in call[3].items() if p is not None and p.requires_grad]

    def updateGradInput(self, input, gradOutput):
        call = self._call(input, "updateGradInput")
        if call is None:
            return super().updateGradInput(input, gradOutput)
        grad = self._grads(call, gradOutput, [call[2]], "updateGradInput")[call[2]]
        self.gradInput = wrap(grad.reshape(input._data.shape))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        call = self._call(input, "accGradParameters")
        if call is None:
            return super().accGradParameters(input, gradOutput, scale)
        items = self._param_items(call)
        grads = self._grads(call, gradOutput, [i for i, _ in items], "accGradParameters")
        for i, param in items:
            accumulate_grad(param, grads[i], scale)

    def backward(self, input, gradOutput, scale=1):
        cls = type(self)
        call = self._call(input, "backward")
        if (
            call is None
            or cls.updateGradInput is not OpLayer.updateGradInput
            or (cls.accGradParameters is not OpLayer.accGradParameters)
        ):
            return super().backward(input, gradOutput, scale)
        items = self._param_items(call)
        grads = self._grads(call, gradOutput, [call[2]] + [i for i, _ in items], "backward")
        self.gradInput = wrap(grads[call[2]].reshape(input._data.shape))
        for i, param in items:
            accumulate_grad(param, grads[i], scale)
        return self.gradInput
