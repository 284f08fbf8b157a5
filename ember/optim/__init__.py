"""Optimizers (``ember.optim.SGD``, ``Adam``...) and learning-rate schedules
(``ember.optim.lr_scheduler``), with PyTorch's names, update rules and state dicts."""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
