"""The optimizer base class: parameter groups, per-parameter state, zero_grad and state dicts.

An optimizer holds ``param_groups`` (dicts of tensors under ``"params"`` plus that group's options)
and ``state`` (a dict per parameter: momentum buffers, running averages, step counts). Subclasses
write one ``step()`` that follows their documented algorithm on raw arrays with in-place NumPy
ufuncs: no graph is recorded, float32 stays float32 (hyperparameters are Python floats, which
NumPy never lets promote an array), and temporaries go into reusable work arrays.

PyTorch's kernel-selection flags (``foreach``, ``fused``, ``capturable``) are accepted and kept in
the groups, so state dicts have PyTorch's keys, but change nothing: ember has one implementation.

``state_dict()`` has PyTorch's layout (state keyed by the parameter's position counted across
groups, groups listing those positions under ``"params"``), so checkpoints move between the two.
"""

import functools
import warnings
from collections import defaultdict
from copy import deepcopy
from itertools import chain

import numpy

from ..autograd.grad_mode import enable_grad
from ..dtypes import get_default_dtype
from ..tensor import Tensor, wrap

__all__ = ["Optimizer"]


def check_lr(lr):
    """PyTorch's check of a learning rate: a number or a one-element tensor, not negative."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_adam_arguments(lr, eps, betas, weight_decay):
    """PyTorch's checks of the Adam family's hyperparameters, in its order and words."""
    check_lr(lr)
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    for i, beta in enumerate(betas[:2]):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _step_dtype():
    """PyTorch keeps step counts as 0-d float tensors: float64 when that is the default dtype,
    else float32."""
    return numpy.float64 if get_default_dtype().numpy == numpy.float64 else numpy.float32


def _marks_step_called(step):
    """Wrap a subclass's ``step`` so learning-rate schedulers can tell it has run."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True
        return step(self, *args, **kwargs)

    return wrapper


class Optimizer:
    """Base class of all optimizers.

    ``params`` is an iterable of tensors (or of ``(name, tensor)`` pairs), or of dicts that each
    define a parameter group with its own options; ``defaults`` holds the options a group
    does not set.
    """

    _state_shaped_like_params = True  # buffers are checked against their parameter's shape

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _marks_step_called(cls.__dict__["step"])

    def __init__(self, params, defaults):
        if defaults.get("differentiable"):
            raise NotImplementedError(
                f"{type(self).__name__}: differentiable=True (backpropagating through the "
                "optimizer step) is not supported by ember"
            )
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        self._work = {}
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got a single {type(params).__name__}"
            )
        param_groups = list(params)
        if not param_groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ----- parameter groups --------------------------------------------------------------------

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (the defaults fill in the rest)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names
            params = [p[1] for p in params]
        param_group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__module__}.{type(p).__name__}"
                )
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        if len(set(params)) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error",
                stacklevel=3,
            )
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                with_names = "with" if "param_names" in param_group else "without"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {with_names} names to the optimizer"
                )
        if not seen.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set each ``.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    grad._grad_fn, grad._rg = None, False
                    grad._data.fill(0)
                    grad._vc[0] += 1

    def step(self, closure=None):
        """Update the parameters once from their gradients; ``closure`` re-evaluates the loss."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    # ----- helpers for step() ------------------------------------------------------------------

    def _with_grad(self, group):
        """The group's parameters that have a gradient this step, each with its state dict."""
        for p in group["params"]:
            if p._grad is not None:
                yield p, self.state[p]

    def _evaluate(self, closure):
        """The loss from ``closure()`` (run with gradients recorded), or None without one."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _work_array(self, like, slot=0):
        """A scratch array shaped like ``like``, kept between steps so the update allocates
        nothing; ``slot`` tells apart the temporaries one update needs at the same time."""
        key = (like.shape, like.dtype, slot)
        array = self._work.get(key)
        if array is None:
            array = self._work[key] = numpy.empty_like(like)
        return array

    def _gradient(self, p, weight_decay, maximize):
        """g_t of the documented algorithms: ``p``'s gradient, negated when maximizing, plus
        ``weight_decay * p`` (the L2 penalty's gradient). ``p.grad`` itself is left as it is."""
        grad = p._grad._data
        if not weight_decay and not maximize:
            return grad
        g = self._work_array(grad)
        if weight_decay:
            numpy.multiply(p._data, weight_decay, out=g)
            if maximize:
                numpy.subtract(g, grad, out=g)
            else:
                numpy.add(g, grad, out=g)
        else:
            numpy.negative(grad, out=g)
        return g

    @staticmethod
    def _zeros_like(p, fill=0.0):
        """A state buffer shaped and typed like parameter ``p``."""
        return wrap(numpy.full_like(p._data, fill))

    @staticmethod
    def _scalar_state(value):
        """A per-parameter scalar (step count, NAdam's mu product, ASGD's eta) as PyTorch keeps
        it: a 0-d float tensor, so it rounds as PyTorch's does."""
        return wrap(numpy.asarray(value, _step_dtype()))

    @staticmethod
    def _step_counter():
        """A step count as PyTorch keeps it: a 0-d float tensor."""
        return Optimizer._scalar_state(0.0)

    # ----- state dicts -------------------------------------------------------------------------

    def state_dict(self):
        """The optimizer's state in PyTorch's layout.

        ``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``: each
        parameter is named by its position counted across all groups. The state's tensors are
        the live buffers (as in PyTorch); copy them if the optimizer will keep stepping.
        """
        index_of = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            (index_of[id(k)] if isinstance(k, Tensor) else k): dict(v)
            for k, v in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a state from :meth:`state_dict` (ember's or PyTorch's): the groups' options
        and every parameter's buffers, copied and cast to that parameter's dtype."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            found = list(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(
                f"an optimizer state_dict has the keys 'state' and 'param_groups', got {found}"
            )
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}, the optimizer has {len(groups)})"
            )
        for i, (group, saved) in enumerate(zip(groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group (group {i}: {len(saved['params'])} parameters saved, "
                    f"{len(group['params'])} in the optimizer)"
                )
        param_of = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in param_of:
                param = param_of[key]
                shaped = self._state_shaped_like_params
                state[param] = {
                    name: _restored(param, key, name, v, shaped) for name, v in value.items()
                }
            else:
                state[key] = value
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self):
        text = f"{type(self).__name__} ("
        for i, group in enumerate(self.param_groups):  # PyTorch's: a blank line between groups
            text += f"\nParameter Group {i}\n"
            text += "".join(
                f"    {key}: {group[key]}\n" for key in sorted(group) if key != "params"
            )
        return text + ")"


def _restored(param, index, name, value, shaped=True):
    """A copy of one saved state value for ``param``: buffers and scalars (NAdam's mu_product),
    also inside lists (LBFGS's history), take the parameter's dtype, as in PyTorch, and buffers
    must have its shape when ``shaped``; step counts stay as saved."""
    if name == "step":
        if isinstance(value, Tensor):
            return wrap(value._data.copy())
        return wrap(numpy.asarray(float(value), _step_dtype()))
    if isinstance(value, (list, tuple)):
        return type(value)(_restored(param, index, name, v, shaped) for v in value)
    if isinstance(value, numpy.ndarray):
        value = wrap(value)
    if not isinstance(value, Tensor):
        return deepcopy(value)
    # 0-d: a per-param scalar
    if shaped and value._data.ndim and value._data.shape != param._data.shape:
        raise ValueError(
            f"loaded state of parameter {index} has {name!r} of shape {tuple(value.shape)}, "
            f"but the parameter has shape {tuple(param.shape)}"
        )
    dtype = param._data.dtype if param._data.dtype.kind == "f" else value._data.dtype
    return wrap(value._data.astype(dtype))
