"""Module hooks: handles that remove them, and the full backward hooks.

A full backward hook ``hook(module, grad_input, grad_output)`` must see the gradients of a module's
inputs and outputs however many ops its forward recorded. As in PyTorch, the module's tensor inputs
and outputs are passed through identity :class:`~ember.autograd.Function` nodes; the output's node
sees ``grad_output`` (and runs the backward pre-hooks), the inputs' node sees ``grad_input``.
"""

from ..autograd.function import Function
from ..autograd.graph import RemovableHandle
from ..tensor import Tensor

__all__ = ["RemovableHandle", "BackwardHooks"]


class BackwardHooks:
    """One forward call's link between autograd and the module's full backward (pre-)hooks."""

    def __init__(self, module, args):
        self.module = module
        self.n_args = len(args)
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a._rg]
        self.grad_output = None

    def wrap_inputs(self, args):
        if not self.positions:
            return args
        wrapped = _through(_InputGrads, self, [args[i] for i in self.positions])
        args = list(args)
        for i, t in zip(self.positions, wrapped):
            args[i] = t
        return tuple(args)

    def wrap_outputs(self, result):
        single = isinstance(result, Tensor)
        items = [result] if single else list(result) if isinstance(result, (tuple, list)) else []
        places = [i for i, t in enumerate(items) if isinstance(t, Tensor) and t._rg]
        if not places:
            return result
        for i, t in zip(places, _through(_OutputGrads, self, [items[i] for i in places])):
            items[i] = t
        return items[0] if single else type(result)(items)

    def output_grads(self, grads):
        module = self.module
        for hook, _ in module._backward_pre_hooks:
            replaced = hook(module, grads)
            if replaced is not None:
                grads = tuple(replaced) if isinstance(replaced, (tuple, list)) else (replaced,)
        self.grad_output = grads
        if not self.positions:  # no input needs a gradient: the hooks run now, with None for it
            self._run_hooks((None,) * self.n_args)
        return grads

    def input_grads(self, grads):
        grad_input = [None] * self.n_args
        for i, g in zip(self.positions, grads):
            grad_input[i] = g
        grad_input = self._run_hooks(tuple(grad_input))
        return tuple(grad_input[i] for i in self.positions)

    def _run_hooks(self, grad_input):
        module = self.module
        for hook, _ in module._backward_hooks:
            replaced = hook(module, grad_input, self.grad_output)
            if replaced is not None:
                replaced = tuple(replaced) if isinstance(replaced, (tuple, list)) else (replaced,)
                if len(replaced) != len(grad_input):
                    raise RuntimeError(
                        f"backward hook of {type(module).__name__} returned {len(replaced)} "
                        f"gradients; expected {len(grad_input)} (one per input)"
                    )
                grad_input = replaced
        return grad_input


def _through(function, state, tensors):
    out = function.apply(state, *tensors)
    return [out] if isinstance(out, Tensor) else list(out)


class _OutputGrads(Function):
    """Identity on a module's outputs; its backward sees ``grad_output``."""

    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tensors[0] if len(tensors) == 1 else tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.state.output_grads(grads))


class _InputGrads(Function):
    """Identity on a module's inputs; its backward sees ``grad_input``."""

    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tensors[0] if len(tensors) == 1 else tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.state.input_grads(grads))
