"""Stochastic gradient descent, optionally with momentum (PyTorch's formulation)."""

import numpy

from ..tensor import wrap
from .optimizer import Optimizer, check_lr

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum, dampening, Nesterov momentum, weight
    decay (L2 penalty) and maximization, exactly as ``torch.optim.SGD``::

        g_t = ∇f(θ_{t-1})            (negated if maximize)
        g_t = g_t + λ θ_{t-1}        (if weight_decay λ ≠ 0)
        b_t = g_t                    (first step; afterwards:)
        b_t = μ b_{t-1} + (1 - τ) g_t
        g_t = g_t + μ b_t            (if nesterov, else g_t = b_t)
        θ_t = θ_{t-1} - γ g_t

    The momentum buffer starts as the first gradient (so dampening applies from the second step),
    and the learning rate multiplies the velocity rather than entering it.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum = float(group["lr"]), float(group["momentum"])
            dampening, nesterov = float(group["dampening"]), group["nesterov"]
            weight_decay = float(group["weight_decay"])
            for p in group["params"]:
                if p._grad is None:
                    continue
                param = p._data
                g = self._gradient(p, weight_decay, group["maximize"])
                update = self._work_array(param, slot=1)
                if momentum != 0:
                    state = self.state[p]
                    buffer = state.get("momentum_buffer")
                    if buffer is None:  # b_1 = g_1
                        state["momentum_buffer"] = buffer = wrap(g.copy())
                        buf = buffer._data
                    else:  # b_t = μ b_{t-1} + (1 - τ) g_t
                        buf = buffer._data
                        buf *= momentum
                        if dampening == 0:
                            buf += g
                        else:
                            numpy.multiply(g, 1.0 - dampening, out=update)
                            buf += update
                    if nesterov:  # g_t = g_t + μ b_t
                        numpy.multiply(buf, momentum, out=update)
                        g = numpy.add(g, update, out=update)
                    else:
                        g = buf
                numpy.multiply(g, lr, out=update)  # θ_t = θ_{t-1} - γ g_t
                param -= update
                p._vc[0] += 1
        return loss
