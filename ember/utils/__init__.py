"""``ember.utils``: utilities under PyTorch's ``torch.utils`` path (``ember.utils.data``)."""

from . import data, hooks

__all__ = ["data", "hooks"]
