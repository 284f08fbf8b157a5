"""``ember.utils.hooks``: where PyTorch code imports ``RemovableHandle`` from (one class for
tensor, node and module hooks; it lives with the graph, :mod:`ember.autograd.graph`)."""

from ..autograd.graph import RemovableHandle

__all__ = ["RemovableHandle"]
