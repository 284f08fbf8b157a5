"""AdamW: Adam with weight decay decoupled from the gradient (Loshchilov & Hutter)."""

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Adam whose weight decay shrinks the parameters directly, ``θ ← θ (1 - γ λ)``, before the
    Adam step, instead of adding ``λ θ`` to the gradient, where the running averages would rescale
    it. Exactly ``torch.optim.AdamW`` (note its default ``weight_decay=1e-2``)."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # an AdamW always decouples, whatever was saved
            group["decoupled_weight_decay"] = True
