"""Adam: per-coordinate steps scaled by running averages of the gradient and its square."""

import numpy

from .optimizer import Optimizer, check_adam_arguments

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), exactly as ``torch.optim.Adam``::

        g_t = ∇f(θ_{t-1})                      (negated if maximize)
        g_t = g_t + λ θ_{t-1}                  (L2 weight decay; or, when decoupled,
                                                θ_{t-1} = θ_{t-1} (1 - γ λ) as AdamW does)
        m_t = β1 m_{t-1} + (1 - β1) g_t
        v_t = β2 v_{t-1} + (1 - β2) g_t²
        v̂_t = max(v̂_{t-1}, v_t)               (if amsgrad, else v̂_t = v_t)
        θ_t = θ_{t-1} - γ / (1 - β1^t) · m_t / (sqrt(v̂_t) / sqrt(1 - β2^t) + ε)

    ``eps`` is added after the bias correction of the square root, as PyTorch does.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        check_adam_arguments(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": (float(betas[0]), float(betas[1])),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay, amsgrad = float(group["weight_decay"]), group["amsgrad"]
            decoupled = group["decoupled_weight_decay"]
            for p, state in self._with_grad(group):
                param = p._data
                if not state:
                    state["step"] = self._step_counter()
                    state["exp_avg"] = self._zeros_like(p)
                    state["exp_avg_sq"] = self._zeros_like(p)
                if amsgrad and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = self._zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                if decoupled and weight_decay:
                    param *= 1.0 - lr * weight_decay
                g = self._gradient(p, 0.0 if decoupled else weight_decay, group["maximize"])
                work = self._work_array(param, slot=1)

                numpy.subtract(g, exp_avg, out=work)  # m += (1 - β1)(g - m): torch's lerp_
                work *= 1.0 - beta1
                exp_avg += work
                exp_avg_sq *= beta2
                numpy.multiply(g, g, out=work)
                work *= 1.0 - beta2
                exp_avg_sq += work

                step_size = lr / (1.0 - beta1**t)
                bias_correction2_sqrt = (1.0 - beta2**t) ** 0.5
                if amsgrad:
                    second_moment = state["max_exp_avg_sq"]._data
                    numpy.maximum(second_moment, exp_avg_sq, out=second_moment)
                else:
                    second_moment = exp_avg_sq
                denom = numpy.sqrt(second_moment, out=work)
                denom /= bias_correction2_sqrt
                denom += eps
                update = numpy.divide(exp_avg, denom, out=work)
                update *= step_size
                param -= update
                p._vc[0] += 1
        return loss
