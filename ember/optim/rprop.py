"""Rprop: each coordinate moves by its own step size, grown while its gradient keeps its sign."""

import numpy

from .optimizer import Optimizer, check_lr

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller & Braun), exactly as ``torch.optim.Rprop``::

        g_t = ∇f(θ_{t-1})                      (negated if maximize)
        η_t = η+ if g_t g_{t-1} > 0,  η- if g_t g_{t-1} < 0,  else 1
        s_t = clip(η_t s_{t-1}, step_size_min, step_size_max)      (s_0 = lr)
        g_t = 0 where the sign flipped (η_t = η-)
        θ_t = θ_{t-1} - s_t sign(g_t)

    Only the gradient's sign is used, so Rprop is for full-batch training.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            etaminus, etaplus = (float(e) for e in group["etas"])
            step_size_min, step_size_max = (float(s) for s in group["step_sizes"])
            for p, state in self._with_grad(group):
                param = p._data
                if not state:
                    state["step"] = self._step_counter()
                    state["prev"] = self._zeros_like(p)
                    state["step_size"] = self._zeros_like(p, fill=float(group["lr"]))
                state["step"]._data += 1
                g = self._gradient(p, 0.0, group["maximize"])
                prev, step_size = state["prev"]._data, state["step_size"]._data
                factor = self._work_array(param, slot=1)

                numpy.multiply(g, prev, out=factor)
                flipped = factor < 0
                factor[factor > 0] = etaplus
                factor[flipped] = etaminus
                factor[factor == 0] = 1.0
                step_size *= factor
                numpy.clip(step_size, step_size_min, step_size_max, out=step_size)
                numpy.copyto(prev, g)
                prev[flipped] = 0.0  # no step (and no sign memory) where the sign flipped
                numpy.sign(prev, out=factor)
                factor *= step_size
                param -= factor
                p._vc[0] += 1
        return loss
