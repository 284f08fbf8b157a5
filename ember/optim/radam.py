"""RAdam: Adam whose adaptive step is switched on only once the variance estimate is tractable."""

import numpy

from .optimizer import Optimizer, check_adam_arguments

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""Rectified Adam (Liu et al.), exactly as ``torch.optim.RAdam``::

        g_t = ∇f(θ_{t-1})                      (negated if maximize)
        g_t = g_t + λ θ_{t-1}                  (L2 weight decay; or, when decoupled,
                                                θ_{t-1} = θ_{t-1} (1 - γ λ) as AdamW does)
        m_t = β1 m_{t-1} + (1 - β1) g_t
        v_t = β2 v_{t-1} + (1 - β2) g_t²
        m̂_t = m_t / (1 - β1^t)
        ρ_∞ = 2 / (1 - β2) - 1,   ρ_t = ρ_∞ - 2 t β2^t / (1 - β2^t)
        θ_t = θ_{t-1} - γ m̂_t r_t sqrt(1 - β2^t) / (sqrt(v_t) + ε)     (if ρ_t > 5)
        θ_t = θ_{t-1} - γ m̂_t                                          (otherwise: SGD)

    with the rectification r_t = sqrt((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t)).
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        check_adam_arguments(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay = float(group["weight_decay"])
            decoupled = group["decoupled_weight_decay"]
            for p, state in self._with_grad(group):
                param = p._data
                if not state:
                    state["step"] = self._step_counter()
                    state["exp_avg"] = self._zeros_like(p)
                    state["exp_avg_sq"] = self._zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                if decoupled and weight_decay:
                    param *= 1.0 - lr * weight_decay
                g = self._gradient(p, 0.0 if decoupled else weight_decay, group["maximize"])
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                work, update = self._work_array(param, slot=1), self._work_array(param, slot=2)

                numpy.subtract(g, exp_avg, out=work)  # m += (1 - β1)(g - m): torch's lerp_
                work *= 1.0 - beta1
                exp_avg += work
                exp_avg_sq *= beta2
                numpy.multiply(g, g, out=work)
                work *= 1.0 - beta2
                exp_avg_sq += work

                bias_correction2 = 1.0 - beta2**t
                numpy.divide(exp_avg, 1.0 - beta1**t, out=update)
                update *= lr
                rho_inf = 2.0 / (1.0 - beta2) - 1.0
                rho_t = rho_inf - 2.0 * t * beta2**t / bias_correction2
                if rho_t > 5.0:  # the variance of the adaptive lr is tractable
                    rect = (rho_t - 4) * (rho_t - 2) * rho_inf
                    rect = (rect / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    numpy.sqrt(exp_avg_sq, out=work)
                    work += eps
                    numpy.divide(bias_correction2**0.5, work, out=work)
                    update *= work
                    update *= rect
                param -= update
                p._vc[0] += 1
        return loss
