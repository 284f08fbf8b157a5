"""Adadelta: steps sized by the ratio of running RMS of past updates to that of gradients."""

import numpy

from .optimizer import Optimizer, check_lr

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler), exactly as ``torch.optim.Adadelta``::

    g_t = ∇f(θ_{t-1})                      (negated if maximize)
    g_t = g_t + λ θ_{t-1}                  (if weight_decay λ ≠ 0)
    v_t = ρ v_{t-1} + (1 - ρ) g_t²
    Δx_t = sqrt(u_{t-1} + ε) / sqrt(v_t + ε) · g_t
    u_t = ρ u_{t-1} + (1 - ρ) Δx_t²
    θ_t = θ_{t-1} - γ Δx_t
    """

    def __init__(
        self,
        params,
        lr=1.0,
        rho=0.9,
        eps=1e-6,
        weight_decay=0,
        foreach=None,
        *,
        capturable=False,
        maximize=False,
        differentiable=False,
    ):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
            weight_decay = float(group["weight_decay"])
            for p, state in self._with_grad(group):
                param = p._data
                if not state:
                    state["step"] = self._step_counter()
                    state["square_avg"] = self._zeros_like(p)
                    state["acc_delta"] = self._zeros_like(p)
                state["step"]._data += 1
                g = self._gradient(p, weight_decay, group["maximize"])
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                work, delta = self._work_array(param, slot=1), self._work_array(param, slot=2)

                square_avg *= rho
                numpy.multiply(g, g, out=work)
                work *= 1.0 - rho
                square_avg += work
                std = numpy.add(square_avg, eps, out=work)
                numpy.sqrt(std, out=std)
                numpy.add(acc_delta, eps, out=delta)
                numpy.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                acc_delta *= rho
                numpy.multiply(delta, delta, out=work)
                work *= 1.0 - rho
                acc_delta += work
                delta *= lr
                param -= delta
                p._vc[0] += 1
        return loss
