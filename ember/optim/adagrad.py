"""Adagrad: each coordinate's step shrinks with the sum of its squared gradients (Duchi et al.)."""

import numpy

from .optimizer import Optimizer, check_lr

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, exactly as ``torch.optim.Adagrad``::

        g_t = ∇f(θ_{t-1})                      (negated if maximize)
        g_t = g_t + λ θ_{t-1}                  (if weight_decay λ ≠ 0)
        γ̃   = γ / (1 + (t - 1) η)              (lr_decay η)
        s_t = s_{t-1} + g_t²                   (s_0 = initial_accumulator_value)
        θ_t = θ_{t-1} - γ̃ g_t / (sqrt(s_t) + ε)

    As in PyTorch, the state of the parameters given at construction exists from the start.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = self._step_counter()
        state["sum"] = self._zeros_like(p, fill=float(group["initial_accumulator_value"]))
        return state

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
            weight_decay = float(group["weight_decay"])
            for p in group["params"]:
                if p._grad is None:
                    continue
                param = p._data
                state = self.state[p] or self._init_state(p, group)  # groups added later
                state["step"]._data += 1
                t = float(state["step"]._data)
                g = self._gradient(p, weight_decay, group["maximize"])
                work = self._work_array(param, slot=1)

                clr = lr / (1.0 + (t - 1.0) * lr_decay)
                state_sum = state["sum"]._data
                numpy.multiply(g, g, out=work)
                state_sum += work
                std = numpy.sqrt(state_sum, out=work)
                std += eps
                step = numpy.divide(g, std, out=work)
                step *= clr
                param -= step
                p._vc[0] += 1
        return loss
