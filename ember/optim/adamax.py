"""Adamax: Adam with the second moment replaced by a running infinity norm."""

import numpy

from .optimizer import Optimizer, check_adam_arguments

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, section 7), exactly as ``torch.optim.Adamax``::

        g_t = ∇f(θ_{t-1})                      (negated if maximize)
        g_t = g_t + λ θ_{t-1}                  (if weight_decay λ ≠ 0)
        m_t = β1 m_{t-1} + (1 - β1) g_t
        u_t = max(β2 u_{t-1}, |g_t| + ε)
        θ_t = θ_{t-1} - γ / (1 - β1^t) · m_t / u_t

    ``eps`` enters the maximum (so a zero gradient never divides by zero), as in PyTorch.
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        check_adam_arguments(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay = float(group["weight_decay"])
            for p, state in self._with_grad(group):
                param = p._data
                if not state:
                    state["step"] = self._step_counter()
                    state["exp_avg"] = self._zeros_like(p)
                    state["exp_inf"] = self._zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                g = self._gradient(p, weight_decay, group["maximize"])
                exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
                work = self._work_array(param, slot=1)

                numpy.subtract(g, exp_avg, out=work)  # m += (1 - β1)(g - m): torch's lerp_
                work *= 1.0 - beta1
                exp_avg += work
                exp_inf *= beta2
                numpy.abs(g, out=work)
                work += eps
                numpy.maximum(exp_inf, work, out=exp_inf)
                update = numpy.divide(exp_avg, exp_inf, out=work)
                update *= lr / (1.0 - beta1**t)
                param -= update
                p._vc[0] += 1
        return loss
