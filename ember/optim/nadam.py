"""NAdam: Adam with Nesterov momentum (Dozat), the momentum warming up by ``momentum_decay``."""

import numpy

from .optimizer import Optimizer, check_adam_arguments

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, exactly as ``torch.optim.NAdam``::

        g_t = ∇f(θ_{t-1})                      (negated if maximize)
        g_t = g_t + λ θ_{t-1}                  (L2 weight decay; or, when decoupled,
                                                θ_{t-1} = θ_{t-1} (1 - γ λ) as AdamW does)
        μ_t = β1 (1 - 0.96^(t ψ) / 2)          (momentum_decay ψ)
        m_t = β1 m_{t-1} + (1 - β1) g_t
        v_t = β2 v_{t-1} + (1 - β2) g_t²
        d_t = sqrt(v_t / (1 - β2^t)) + ε
        θ_t = θ_{t-1} - γ (1 - μ_t) / (1 - Π_{i≤t} μ_i) · g_t / d_t
                      - γ μ_{t+1} / (1 - Π_{i≤t+1} μ_i) · m_t / d_t

    The product of the μ is state (``mu_product``), a 0-d tensor of the step-count dtype as in
    PyTorch, so it rounds the same way.
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        check_adam_arguments(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay, momentum_decay = float(group["weight_decay"]), group["momentum_decay"]
            decoupled = group["decoupled_weight_decay"]
            for p, state in self._with_grad(group):
                param = p._data
                if not state:
                    state["step"] = self._step_counter()
                    state["mu_product"] = self._scalar_state(1.0)
                    state["exp_avg"] = self._zeros_like(p)
                    state["exp_avg_sq"] = self._zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                if decoupled and weight_decay:
                    param *= 1.0 - lr * weight_decay
                g = self._gradient(p, 0.0 if decoupled else weight_decay, group["maximize"])
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                work, denom = self._work_array(param, slot=1), self._work_array(param, slot=2)

                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
                state["mu_product"]._data *= mu
                mu_product = float(state["mu_product"]._data)
                numpy.subtract(g, exp_avg, out=work)  # m += (1 - β1)(g - m): torch's lerp_
                work *= 1.0 - beta1
                exp_avg += work
                exp_avg_sq *= beta2
                numpy.multiply(g, g, out=work)
                work *= 1.0 - beta2
                exp_avg_sq += work
                numpy.divide(exp_avg_sq, 1.0 - beta2**t, out=denom)
                numpy.sqrt(denom, out=denom)
                denom += eps

                numpy.divide(g, denom, out=work)
                work *= -lr * (1.0 - mu) / (1.0 - mu_product)
                param += work
                numpy.divide(exp_avg, denom, out=work)
                work *= -lr * mu_next / (1.0 - mu_product * mu_next)
                param += work
                p._vc[0] += 1
        return loss
