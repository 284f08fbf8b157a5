"""ASGD: SGD with a decaying step and a running (Polyak) average of the iterates."""

import numpy

from .optimizer import Optimizer, _step_dtype, check_lr

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky), exactly as ``torch.optim.ASGD``::

        g_t = ∇f(θ_{t-1})                      (negated if maximize)
        g_t = g_t + λ θ_{t-1}                  (if weight_decay λ ≠ 0)
        θ_t = θ_{t-1} (1 - λ_d η_t) - η_t g_t    (lambd λ_d; η_1 = lr)
        a_t = a_{t-1} + μ_t (θ_t - a_{t-1})    (a_t = θ_t while μ_t = 1)
        η_{t+1} = lr / (1 + λ_d lr t)^α,   μ_{t+1} = 1 / max(1, t - t0)

    The average ``ax`` is state; it starts averaging after ``t0`` steps. ``eta`` and ``mu`` are
    0-d tensors of the step-count dtype, as in PyTorch, so they round the same way.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd=1e-4,
        alpha=0.75,
        t0=1e6,
        weight_decay=0,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
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
            lr, lambd = float(group["lr"]), float(group["lambd"])
            alpha, t0 = float(group["alpha"]), float(group["t0"])
            weight_decay = float(group["weight_decay"])
            for p, state in self._with_grad(group):
                param = p._data
                if not state:
                    state["step"] = self._step_counter()
                    state["eta"] = self._scalar_state(lr)
                    state["mu"] = self._scalar_state(1.0)
                    state["ax"] = self._zeros_like(p)
                state["step"]._data += 1
                g = self._gradient(p, weight_decay, group["maximize"])
                ax, work = state["ax"]._data, self._work_array(param, slot=1)

                eta = float(state["eta"]._data)
                param *= 1.0 - lambd * eta
                numpy.multiply(g, eta, out=work)
                param -= work
                mu = float(state["mu"]._data)
                if mu != 1:
                    numpy.subtract(param, ax, out=work)
                    work *= mu
                    ax += work
                else:
                    numpy.copyto(ax, param)
                t = float(state["step"]._data)
                # rounded to the step dtype first (torch.as_tensor), even once a loaded state
                # dict has made eta and mu the parameter's dtype
                rounded = _step_dtype()
                state["eta"]._data[...] = rounded(lr / ((1 + lambd * lr * t) ** alpha))
                state["mu"]._data[...] = rounded(1 / max(1, t - t0))
                p._vc[0] += 1
        return loss
