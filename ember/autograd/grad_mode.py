"""Whether operations are recorded for backward: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``, and the anomaly-detection switch. One shared flag object, read once per op."""

import functools
import inspect

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
]


class _State:
    # enabled: whether ops record (read once per op); grad_mode: what is_grad_enabled() says.
    # They differ only inside inference_mode, where enable_grad turns grad mode back on but
    # nothing records (as in PyTorch).
    __slots__ = ("enabled", "grad_mode", "inference", "anomaly", "anomaly_check_nan")

    def __init__(self):
        self.enabled = self.grad_mode = True
        self.inference = False
        self.anomaly = False
        self.anomaly_check_nan = True


STATE = _State()


def is_grad_enabled():
    return STATE.grad_mode


def _set_grad_mode(mode):
    STATE.grad_mode = mode
    STATE.enabled = mode and not STATE.inference


def is_inference_mode_enabled():
    return STATE.inference


class _GradMode:
    """A context manager that is also a decorator (``@ember.no_grad()`` or ``@ember.no_grad``)."""

    mode = True

    def __new__(cls, func=None):
        # Everything is set up here, with no __init__: ``with no_grad():`` runs in every
        # optimizer step, and each Python-level call is a noticeable part of a small step.
        self = object.__new__(cls)
        self._saved = []
        if func is not None and callable(func):  # used bare as a decorator: @no_grad
            return self(func)
        return self

    # _set_grad_mode spelled out: ``with no_grad():`` runs in every optimizer step.
    def __enter__(self):
        state = STATE
        self._saved.append(state.grad_mode)
        state.grad_mode = mode = self.mode
        state.enabled = mode and not state.inference

    def __exit__(self, *exc):
        state = STATE
        state.grad_mode = mode = self._saved.pop()
        state.enabled = mode and not state.inference
        return False

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, func):
        """A generator function's body runs in the mode each time it resumes (as in PyTorch),
        and the caller's mode is back in place between yields."""
        mode = self.__class__

        @functools.wraps(func)
        def generator(*args, **kwargs):
            inner = func(*args, **kwargs)
            try:
                with mode():
                    value = next(inner)
                while True:
                    try:
                        sent = yield value
                    except GeneratorExit:
                        inner.close()
                        raise
                    except BaseException as error:
                        with mode():
                            value = inner.throw(error)
                    else:
                        with mode():
                            value = inner.send(sent)
            except StopIteration as done:
                return done.value

        return generator


class no_grad(_GradMode):
    """Don't record operations inside: results don't require grad (for evaluation and updates)."""

    mode = False


class enable_grad(_GradMode):
    """Record operations again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled:
    """Turn recording on or off: takes effect at once, and as a context manager restores after.
    As a decorator (``@set_grad_enabled(False)``) it sets the mode for each call instead."""

    def __init__(self, mode):
        self.prev = STATE.grad_mode
        self.mode = bool(mode)
        _set_grad_mode(self.mode)

    def __repr__(self):
        return f"ember.autograd.grad_mode.set_grad_enabled(mode={self.mode})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set_grad_mode(self.prev)
        return False

    def __call__(self, func):
        _set_grad_mode(self.prev)  # making the decorator changed the mode; only calls should
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


class inference_mode(_GradMode):
    """Like ``no_grad``, and stronger: inside it nothing records, even under ``enable_grad``
    (ember keeps no extra bookkeeping that inference mode could skip)."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):  # used bare as a decorator: @inference_mode
            self.__init__()
            return self(mode)
        return self

    def __init__(self, mode=True):
        self.mode = not mode
        self._inference = []

    def __enter__(self):
        self._inference.append(STATE.inference)
        STATE.inference = not self.mode
        super().__enter__()

    def __exit__(self, *exc):
        STATE.inference = self._inference.pop()
        return super().__exit__(*exc)
