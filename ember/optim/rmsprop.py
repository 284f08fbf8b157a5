"""RMSprop: steps divided by a running root-mean-square of recent gradients (Hinton)."""

import numpy

from .optimizer import Optimizer, check_lr

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, exactly as ``torch.optim.RMSprop``::

    g_t = ∇f(θ_{t-1})                      (negated if maximize)
    g_t = g_t + λ θ_{t-1}                  (if weight_decay λ ≠ 0)
    v_t = α v_{t-1} + (1 - α) g_t²
    ṽ_t = v_t - ḡ_t²,  ḡ_t = α ḡ_{t-1} + (1 - α) g_t     (if centered, else ṽ_t = v_t)
    b_t = μ b_{t-1} + g_t / (sqrt(ṽ_t) + ε);  θ_t = θ_{t-1} - γ b_t      (if momentum μ > 0)
    θ_t = θ_{t-1} - γ g_t / (sqrt(ṽ_t) + ε)                            (otherwise)
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
            momentum, centered = float(group["momentum"]), group["centered"]
            weight_decay = float(group["weight_decay"])
            for p, state in self._with_grad(group):
                param = p._data
                if not state:
                    state["step"] = self._step_counter()
                    state["square_avg"] = self._zeros_like(p)
                if momentum > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = self._zeros_like(p)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = self._zeros_like(p)
                state["step"]._data += 1
                g = self._gradient(p, weight_decay, group["maximize"])
                work = self._work_array(param, slot=1)

                square_avg = state["square_avg"]._data
                square_avg *= alpha
                numpy.multiply(g, g, out=work)
                work *= 1.0 - alpha
                square_avg += work
                if centered:
                    grad_avg = state["grad_avg"]._data
                    numpy.subtract(g, grad_avg, out=work)  # ḡ += (1 - α)(g - ḡ): torch's lerp_
                    work *= 1.0 - alpha
                    grad_avg += work
                    numpy.multiply(grad_avg, grad_avg, out=work)
                    variance = numpy.subtract(square_avg, work, out=work)
                    avg = numpy.sqrt(variance, out=work)
                else:
                    avg = numpy.sqrt(square_avg, out=work)
                avg += eps

                step = numpy.divide(g, avg, out=work)
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += step
                    step = numpy.multiply(buf, lr, out=work)
                else:
                    step *= lr
                param -= step
                p._vc[0] += 1
        return loss
