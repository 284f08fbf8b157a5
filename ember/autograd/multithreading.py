"""``set_multithreading_enabled``: PyTorch's switch for running backward on per-device worker
threads. ember's engine always runs on the calling thread, so the switch changes nothing but
the flag that ``is_multithreading_enabled`` reads; it is here so PyTorch code that sets it runs.
"""

import functools
import threading

__all__ = ["set_multithreading_enabled", "is_multithreading_enabled"]

_flag = threading.local()  # per thread, as in PyTorch


def is_multithreading_enabled():
    """Whether backward may use worker threads (the flag only: ember never does)."""
    return getattr(_flag, "enabled", True)


class set_multithreading_enabled:
    """Context-manager that enables or disables multithreaded backward.

    Takes effect at once, so it also works as a plain function call; as a context manager it
    restores the previous setting on exit. As in PyTorch, making the object sets the flag, so
    ``@set_multithreading_enabled(False)`` as a decorator leaves it set from then on.
    """

    def __init__(self, mode):
        self.prev = is_multithreading_enabled()
        _flag.enabled = bool(mode)
        self.mode = mode

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _flag.enabled = self.prev

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        """Create a copy of this class"""
        return self.__class__(self.mode)
