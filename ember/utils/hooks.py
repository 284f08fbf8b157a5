"""``ember.utils.hooks``: where PyTorch code imports ``RemovableHandle`` from (it lives with the
module hooks, :mod:`ember.nn.hooks`)."""

from ..nn.hooks import RemovableHandle

__all__ = ["RemovableHandle"]
