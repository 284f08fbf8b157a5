"""``Module``: one class that speaks PyTorch's ``nn.Module`` and Torch7's layer protocol.

PyTorch side: parameters, buffers and submodules registered by attribute assignment; ``model(x)``
runs ``forward`` (with hooks) and autograd records the graph; ``state_dict``, ``to``, ``train``...

Torch7 side, with the seeds' names: ``output``/``gradInput``, ``updateOutput(input)``,
``updateGradInput(input, gradOutput)``, ``accGradParameters(input, gradOutput, scale)``,
``backward`` (both), ``zeroGradParameters``, ``updateParameters(lr)``, ``getParameters()``.

The two sides are one system:

- ``module.gradWeight`` *is* ``module.weight.grad`` (any parameter ``p`` has ``gradP``): the
  protocol accumulates into ``.grad``, so autograd, the protocol and optimizers share gradients.
- ``forward`` and ``updateOutput`` are the same computation. Torch7-style layers (Linear, ReLU, the
  losses) write ``updateOutput``, which is then also their ``forward``; PyTorch-style modules
  write ``forward``, which the default ``updateOutput`` calls.
- Every module gets ``updateGradInput``/``accGradParameters`` for free: by default they rerun
  ``forward`` on a copy of the input that requires grad and ask autograd for the vector-Jacobian
  product. The core layers override them with the hand-derived formulas of seeds 000-002, calling
  the same VJPs in :mod:`ember.ops` that autograd calls, so the two cannot drift apart. A subclass
  that writes a new ``forward`` goes back to the derived protocol (an inherited formula would
  be that of the old forward).
- Torch7 silently returned wrong gradients when ``backward`` got another input than ``forward``
  saw; here a module remembers the input of its last protocol forward (and its version) and
  ``backward`` raises if it is given anything else.
"""

import collections
import itertools
import warnings

import numpy

from ..autograd.grad import grad as autograd_grad
from ..autograd.grad_mode import STATE, enable_grad
from ..autograd.module_calls import record_module_call
from ..backend import device as device_type
from ..backend import to_device
from ..dtypes import as_dtype, from_numpy_dtype
from ..ops import unbroadcast, xp_numpy
from ..random import default_generator
from ..tensor import Size, Tensor, wrap
from .hooks import BackwardHooks, RemovableHandle
from .parameter import Parameter

__all__ = ["Module", "accumulate_grad", "op_vjp"]

# Attributes the protocol sets on every call: plain attributes, set without the registry checks.
_PLAIN = frozenset({"output", "gradInput", "training", "_seen", "_inputs", "_mask", "_before"})

# Bumped by every change to any module's parameters, buffers or children, so a cached walk of a
# module tree (the parameter list the protocol loops over each step) knows when to redo itself.
_STRUCTURE = [0]


class _Registry(dict):
    """A module's parameters, buffers or children by name: a dict that notes every change."""

    __slots__ = ()

    def __setitem__(self, key, value):
        _STRUCTURE[0] += 1
        dict.__setitem__(self, key, value)

    def __delitem__(self, key):
        _STRUCTURE[0] += 1
        dict.__delitem__(self, key)

    def pop(self, *args):
        _STRUCTURE[0] += 1
        return dict.pop(self, *args)

    def popitem(self):
        _STRUCTURE[0] += 1
        return dict.popitem(self)

    def clear(self):
        _STRUCTURE[0] += 1
        dict.clear(self)

    def update(self, *args, **kwargs):
        _STRUCTURE[0] += 1
        dict.update(self, *args, **kwargs)

    def setdefault(self, key, default=None):
        _STRUCTURE[0] += 1
        return dict.setdefault(self, key, default)


def accumulate_grad(param, grad, scale=1):
    """Add ``scale * grad`` (an array) into ``param.grad``, creating it if None: how the protocol's
    ``accGradParameters`` fills the same ``.grad`` that autograd fills and optimizers read."""
    if not param._rg:
        return
    if grad.dtype != param._data.dtype:
        grad = grad.astype(param._data.dtype)
    if scale != 1:
        grad = grad * scale
    held = param._grad
    if held is None:
        param._grad = wrap(grad.copy() if scale == 1 else grad)  # never alias a caller's array
    elif held._grad_fn is not None:  # a gradient left with a graph by create_graph=True
        param._grad = held + wrap(grad)
    else:
        held._data += grad
        held._vc[0] += 1


def op_vjp(op, args, grad, index=0, out=None):
    """The gradient for argument ``index`` of ``op`` applied to ``args``, given ``grad`` (all raw
    arrays underneath): the protocol's hand-written backward formulas are these calls, to the
    same VJPs that autograd runs."""
    arrays = [a._data if isinstance(a, Tensor) else a for a in args]
    result = op.vjps[index](xp_numpy, grad, *arrays, out)
    shape = arrays[index].shape
    if op.broadcasts and result.shape != shape:
        result = unbroadcast(xp_numpy, result, shape)
    return result


class _IncompatibleKeys(
    collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class of every layer and model (see the module docstring)."""

    _version = 1
    _derived_protocol = True  # updateGradInput and accGradParameters both come from autograd

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments: "
                f"{args or ''} {kwargs or ''}".rstrip()
            )
        empty = numpy.empty(0, dtype=numpy.float32)
        self.__dict__.update(
            training=True,
            _parameters=_Registry(),
            _buffers=_Registry(),
            _non_persistent_buffers=set(),
            _modules=_Registry(),
            _param_cache=None,
            _forward_pre_hooks=[],
            _forward_hooks=[],
            _backward_pre_hooks=[],
            _backward_hooks=[],
            _has_hooks=False,
            _seen=None,
            _flat=None,
            output=wrap(empty),
            gradInput=wrap(empty.copy()),
        )

    # ----- PyTorch: forward ---------------------------------------------------------------------

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if "updateOutput" in own and "forward" not in own:
            cls.forward = own["updateOutput"]  # a Torch7-style layer: forward is updateOutput
        elif "forward" in own and "updateOutput" not in own:
            # A new forward makes any inherited hand-written protocol (Linear's, say) wrong for
            # this class: it gets the protocol derived from its forward, unless it writes its own.
            for name, default in cls._default_protocol.items():
                if name not in own:
                    setattr(cls, name, default)
        # Whether backward may get both gradients from one autograd pass (see backward).
        cls._derived_protocol = (
            cls.updateGradInput is Module.updateGradInput
            and cls.accGradParameters is Module.accGradParameters
        )

    def forward(self, *args, **kwargs):
        """What the module computes. Define it (PyTorch style), or define ``updateOutput``
        (Torch7 style), which then is ``forward`` too, as in Torch7."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        if self._has_hooks:
            return self._call_with_hooks(args, kwargs)
        return record_module_call(self, self.forward, *args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook, with_kwargs in self._forward_pre_hooks:
            result = hook(self, args, kwargs) if with_kwargs else hook(self, args)
            if result is not None:
                if with_kwargs:
                    args, kwargs = result
                else:
                    args = result if isinstance(result, tuple) else (result,)
        backward_hooks = None
        if (self._backward_hooks or self._backward_pre_hooks) and STATE.enabled:
            backward_hooks = BackwardHooks(self, args)
            args = backward_hooks.wrap_inputs(args)
        try:
            output = record_module_call(self, self.forward, *args, **kwargs)
        except Exception:
            self._run_always_called_hooks(args, kwargs)
            raise
        for hook, with_kwargs in self._forward_hooks:
            result = hook(self, args, kwargs, output) if with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        if backward_hooks is not None:
            output = backward_hooks.wrap_outputs(output)
        return output

    def _run_always_called_hooks(self, args, kwargs):
        """Forward raised: the hooks registered with ``always_call=True`` still run (with output
        None), and an error of theirs is only a warning, as in PyTorch."""
        always = self.__dict__.get("_always_called", ())
        for hook, with_kwargs in self._forward_hooks:
            if hook not in always:
                continue
            try:
                hook(self, args, kwargs, None) if with_kwargs else hook(self, args, None)
            except Exception as error:
                warnings.warn(
                    "forward hook with ``always_call=True`` raised an exception that was "
                    f"silenced as another error was raised in forward: {error}",
                    stacklevel=3,
                )

    # ----- PyTorch: registering parameters, buffers, submodules ---------------------------------

    def register_parameter(self, name, param):
        """Add ``param`` (a Parameter, or None for an absent one) under ``name``."""
        parameters = self.__dict__.get("_parameters")
        if parameters is None:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter", parameters)
        if param is not None:
            if not isinstance(param, Parameter):
                raise TypeError(
                    f"cannot assign '{_type_name(param)}' object to parameter "
                    f"'{name}' (ember.nn.Parameter or None required)"
                )
            if param._grad_fn is not None:
                raise ValueError(
                    f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                    f"be created explicitly. To express '{name}' as a function of another Tensor, "
                    "compute the value in the forward() method."
                )
        self._forget(name, keep="_parameters")
        parameters[name] = param
        self.__dict__[name] = param  # also a plain attribute: read at plain-attribute speed

    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor that is state but not a parameter (running statistics, class weights);
        it is in ``state_dict()`` unless ``persistent=False``."""
        buffers = self.__dict__.get("_buffers")
        if buffers is None:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer", buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_type_name(tensor)}' object to buffer '{name}' "
                "(ember.Tensor or None required)"
            )
        self._forget(name, keep="_buffers")
        buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        self.__dict__[name] = tensor

    def add_module(self, name, module):
        """Add a child module (or None) under ``name``."""
        modules = self.__dict__.get("_modules")
        if modules is None:
            raise AttributeError("cannot assign module before Module.__init__() call")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_type_name(module)} is not a Module subclass")
        self._check_name(name, "module", modules)
        self._forget(name, keep="_modules")
        modules[name] = module
        self.__dict__[name] = module

    register_module = add_module

    def _check_name(self, name, kind, registry):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_type_name(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if name not in registry and (name in self.__dict__ or hasattr(type(self), name)):
            raise KeyError(f"attribute '{name}' already exists")

    def _forget(self, name, keep=None):
        """Remove ``name`` from every registry but ``keep`` (where it keeps its place), and as a
        plain attribute: an attribute can change kind by reassignment."""
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                d[registry].pop(name, None)
        if keep != "_buffers":
            d["_non_persistent_buffers"].discard(name)
        if keep is None or name not in d[keep]:
            d.pop(name, None)

    def __setattr__(self, name, value):
        if name in _PLAIN:
            object.__setattr__(self, name, value)
            return
        d = self.__dict__
        parameters, buffers, modules = d.get("_parameters"), d.get("_buffers"), d.get("_modules")
        if isinstance(value, Parameter):
            if parameters is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif parameters is not None and name in parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as parameter '{name}' "
                    "(ember.nn.Parameter or None expected)"
                )
            self.register_parameter(name, None)
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            self.add_module(name, value)
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as child module '{name}' "
                    "(ember.nn.Module or None expected)"
                )
            modules[name] = d[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as buffer '{name}' "
                    "(ember.Tensor or None expected)"
                )
            buffers[name] = d[name] = value
        elif parameters is not None and self._grad_of(name) is not None:
            self._grad_of(name).grad = value  # gradWeight = g sets weight.grad
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only reached when ordinary lookup fails: registered names also live in __dict__.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in d.get(registry, ()):
                return d[registry][name]
        if "_parameters" in d:
            param = self._grad_of(name)
            if param is not None:
                if param._grad is None and param._rg:  # Torch7's gradients always exist
                    param._grad = wrap(numpy.zeros_like(param._data))
                return param._grad
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _grad_of(self, name):
        """The parameter whose gradient Torch7 calls ``name`` (``gradWeight``: ``weight``)."""
        if len(name) > 4 and name.startswith("grad") and name[4].isupper():
            return self.__dict__["_parameters"].get(name[4].lower() + name[5:])
        return None

    def __delattr__(self, name):
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in d.get(registry, ()):
                self._forget(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        names = set(super().__dir__())
        for registry in ("_parameters", "_buffers", "_modules"):
            names.update(self.__dict__[registry])
        return sorted(n for n in names if not n[0].isdigit())

    # ----- PyTorch: walking the tree ------------------------------------------------------------

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """``(name, module)`` for this module and every descendant, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(
                    memo, f"{prefix}.{name}" if prefix else name, remove_duplicate
                )

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _parameter_list(self):
        """Every parameter once, in ``parameters()`` order: a list, remade only after the module
        tree changes (the per-step methods loop over it; do not modify it)."""
        cache = self._param_cache
        if cache is not None and cache[0] == _STRUCTURE[0]:
            return cache[1]
        params, seen_modules, seen = [], set(), set()
        stack = [self]
        while stack:
            module = stack.pop()
            if id(module) in seen_modules:
                continue
            seen_modules.add(id(module))
            for param in module._parameters.values():
                if param is not None and id(param) not in seen:
                    seen.add(id(param))
                    params.append(param)
            stack.extend(m for m in reversed(module._modules.values()) if m is not None)
        self.__dict__["_param_cache"] = (_STRUCTURE[0], params)
        return params

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        seen = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """``(name, parameter)`` pairs; a parameter shared by two modules appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        if recurse:
            return iter(self._parameter_list())
        return (param for _, param in self.named_parameters(recurse=False))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target):
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = module._modules[part]
        return module

    def get_parameter(self, target):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        return module._parameters[name]

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first), then on this one."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ----- PyTorch: modes and gradients ---------------------------------------------------------

    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient: to None (the default), or to zeros. Gradients that
        are views into ``getParameters()``'s flat buffer are always zeroed, so the views stay."""
        for param in self.parameters():
            held = param._grad
            if held is None:
                continue
            if set_to_none and held._data.base is None:
                param._grad = None
            else:
                if held._grad_fn is not None:
                    held = param._grad = held.detach()
                held._data.fill(0)
                held._vc[0] += 1

    # ----- PyTorch: dtype and device ------------------------------------------------------------

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``: converts
        floating-point parameters and buffers in place (the Parameter objects stay the same)."""
        dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif isinstance(arg, (str, device_type)):
                device = arg
            elif arg is not None:
                dtype = arg
        if dtype is not None:
            dtype = as_dtype(dtype)
            if not dtype.is_floating_point:
                raise TypeError(
                    "nn.Module.to only accepts floating point dtypes, but got "
                    f"desired dtype={dtype}"
                )

        def convert(array):
            if dtype is not None and array.dtype.kind == "f":
                array = array.astype(dtype.numpy, copy=False)
            return array if device is None else to_device(array, device)

        return self._apply(convert)

    def _apply(self, convert):
        for module in self.modules():
            for t in itertools.chain(module._parameters.values(), module._buffers.values()):
                if t is None:
                    continue
                t._data = convert(t._data)
                if t._grad is not None:
                    t._grad._data = convert(t._grad._data)
        return self

    def float(self):
        return self.to(as_dtype("float32"))

    def double(self):
        return self.to(as_dtype("float64"))

    def half(self):
        return self.to(as_dtype("float16"))

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to(f"cuda:{device or 0}")

    # ----- PyTorch: state dicts -----------------------------------------------------------------

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """Every parameter and persistent buffer by dotted name (``"0.weight"``), as tensors
        sharing memory with the module's."""
        if destination is None:
            destination = collections.OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars
                )
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        Nothing is changed unless every key loads: a shape mismatch is always an error, and with
        ``strict`` so are missing and unexpected keys; the error lists them all.
        """
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors, loads = [], []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value._data if isinstance(value, Tensor) else numpy.asarray(value)
            if tuple(array.shape) != tuple(target._data.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{Size(array.shape)} from checkpoint, the shape in current model "
                    f"is {Size(target._data.shape)}."
                )
            else:
                loads.append((target, array))
        if strict:
            if unexpected:
                errors.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}. ")
            if missing:
                errors.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}. ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for target, array in loads:
            if assign:
                target._data = array
            else:
                target._data[...] = array
                target._vc[0] += 1
        return _IncompatibleKeys(missing, unexpected)

    # ----- PyTorch: hooks -----------------------------------------------------------------------

    def _add_hook(self, hooks, hook, prepend, with_kwargs=False):
        entry = (hook, with_kwargs)
        hooks.insert(0, entry) if prepend else hooks.append(entry)
        self._refresh_hooks()
        return RemovableHandle(hooks, entry, self._refresh_hooks)

    def _refresh_hooks(self):
        self._has_hooks = bool(
            self._forward_pre_hooks
            or self._forward_hooks
            or self._backward_pre_hooks
            or self._backward_hooks
        )

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` before forward; a returned value replaces ``args``."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """``hook(module, args, output)`` after forward; a returned value replaces ``output``.
        With ``always_call`` it runs even when forward raises."""
        handle = self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)
        if always_call:
            self.__dict__.setdefault("_always_called", []).append(hook)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` when the gradient of the output is known; a returned
        tuple replaces it."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` when the gradient of the module's inputs is
        known; a returned tuple replaces ``grad_input``."""
        return self._add_hook(self._backward_hooks, hook, prepend)

    # ----- printing -----------------------------------------------------------------------------

    def extra_repr(self):
        """The layer's own settings, shown inside its repr (``in_features=2, ...``)."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): {_indent(repr(module), 2)}" for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            body = (
                extra_lines[0]
                if len(extra_lines) == 1 and not child_lines
                else ("\n  " + "\n  ".join(lines) + "\n")
            )
        return f"{self._get_name()}({body})"

    # ----- Torch7: the layer protocol -----------------------------------------------------------

    def updateOutput(self, input, *args):
        """Compute ``self.output`` from ``input`` and return it. By default: ``forward(input)``."""
        output = self.forward(input, *args)
        self._remember(input, output)
        return output

    def updateGradInput(self, input, gradOutput):
        """``gradInput`` = dL/d(input) given ``gradOutput`` = dL/d(output); returns it.

        By default autograd computes it, by rerunning ``forward``; layers override this with
        their hand-derived formula."""
        self.gradInput = self._autograd_vjp(input, gradOutput, want_input=True)[0]
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        """Accumulate ``scale`` * dL/d(parameter) into each parameter's ``.grad``
        (``gradWeight``, ``gradBias``). By default autograd computes it; layers override this."""
        for param, grad in self._autograd_vjp(input, gradOutput, want_params=True)[1]:
            accumulate_grad(param, grad, scale)

    def backward(self, input, gradOutput, scale=1):
        """``updateGradInput`` then ``accGradParameters``; returns ``gradInput`` (seed 001)."""
        if self._derived_protocol:
            grad_input, param_grads = self._autograd_vjp(input, gradOutput, True, True)
            self.gradInput = grad_input  # one autograd pass for both
            for param, grad in param_grads:
                accumulate_grad(param, grad, scale)
            return grad_input
        self.updateGradInput(input, gradOutput)
        self.accGradParameters(input, gradOutput, scale)
        return self.gradInput

    def zeroGradParameters(self):
        """Set every parameter's gradient to zero, in place (making it if there is none)."""
        for param in self._parameter_list():
            held = param._grad
            if held is not None and held._grad_fn is None:
                held._data.fill(0)
                held._vc[0] += 1
            elif param._rg:  # none yet, or one left with a graph by create_graph=True
                param._grad = wrap(numpy.zeros_like(param._data))

    def updateParameters(self, learningRate):
        """One plain gradient step, in place: ``param -= learningRate * param.grad``."""
        for param in self._parameter_list():
            held = param._grad
            if held is not None:
                param._data -= learningRate * held._data
                param._vc[0] += 1

    def getParameters(self):
        """Two flat tensors, all parameters and all their gradients, that the module's
        parameters and gradients then view (Torch7's ``getParameters``: an optimizer can work on
        one vector). Calling it again returns the same two while the views are intact; shared
        parameters appear once; all parameters must have one dtype."""
        params = self._parameter_list()
        flat = self._flat
        if flat is not None and _views_intact(params, *flat):
            return flat[1], flat[2]
        if not params:
            return wrap(numpy.empty(0, numpy.float32)), wrap(numpy.empty(0, numpy.float32))
        dtypes = {p._data.dtype for p in params}
        if len(dtypes) > 1:
            raise TypeError(
                "getParameters: all parameters must have one dtype to share a flat "
                f"buffer, got {sorted(str(d) for d in dtypes)}"
            )
        dtype = dtypes.pop()
        total = sum(p._data.size for p in params)
        flat_params = wrap(numpy.empty(total, dtype))
        flat_grads = wrap(numpy.zeros(total, dtype))
        offset = 0
        for p in params:
            n, shape = p._data.size, p._data.shape
            flat_params._data[offset : offset + n] = p._data.reshape(-1)
            p._data = flat_params._data[offset : offset + n].reshape(shape)
            p._vc = flat_params._vc  # views share their base's version counter
            if p._grad is not None:
                flat_grads._data[offset : offset + n] = p._grad._data.reshape(-1)
            p._grad = wrap(flat_grads._data[offset : offset + n].reshape(shape))
            p._grad._vc = flat_grads._vc
            offset += n
        self._flat = (params, flat_params, flat_grads)
        return flat_params, flat_grads

    # ----- the protocol's bookkeeping -----------------------------------------------------------

    def _remember(self, input, output):
        """Keep ``output`` (Torch7's ``self.output``) and note the input of this forward and its
        version, for ``backward`` to check."""
        d = self.__dict__
        d["output"] = output
        d["_seen"] = (input, input._vc[0] if isinstance(input, Tensor) else None)

    def _check_input(self, input, method="backward"):
        """Raise unless ``input`` is the tensor the last forward saw, unchanged. Returns whether
        a forward is on record (a layer whose formula needs nothing saved may run without one)."""
        seen = self._seen
        if seen is None:
            return False
        if seen[0] is not input:
            raise RuntimeError(
                f"{type(self).__name__}.{method}: input is not the tensor that the last forward "
                "saw. The gradients are those of that forward, so pass the same input (or call "
                "forward(input) again first). A module used twice in one forward keeps only its "
                "last input: give each use its own module (they may share parameters)."
            )
        if seen[1] is not None and seen[1] != input._vc[0]:
            raise RuntimeError(
                f"{type(self).__name__}.{method}: input was modified in place after forward (its "
                f"version is {input._vc[0]}, forward saw {seen[1]}); the gradients would not "
                "match the output. Call forward(input) again first."
            )
        return True

    def _check_grad_output(self, gradOutput, shape, dtype, method="updateGradInput"):
        """Raise unless ``gradOutput`` is a tensor of the output's shape and dtype."""
        name = type(self).__name__
        if not isinstance(gradOutput, Tensor):
            raise TypeError(
                f"{name}.{method}: gradOutput must be a Tensor, got {type(gradOutput).__name__}"
            )
        if gradOutput._data.shape != shape:
            raise RuntimeError(
                f"{name}.{method}: gradOutput has shape "
                f"{list(gradOutput._data.shape)}, but the output has shape "
                f"{list(shape)}"
            )
        if gradOutput._data.dtype != dtype:
            raise RuntimeError(
                f"{name}.{method}: gradOutput is {gradOutput.dtype}, but the output "
                f"is {from_numpy_dtype(dtype)}"
            )
        return gradOutput._data

    def _autograd_vjp(self, input, gradOutput, want_input=False, want_params=False):
        """The default protocol: rerun forward on a copy of ``input`` that requires grad and let
        autograd compute ``(gradInput, [(param, grad), ...])`` for ``gradOutput``.

        The rerun leaves no trace: the modules' attributes and buffers are restored afterwards,
        and a forward that draws random numbers is an error (it would not draw the same ones)."""
        self._check_input(input)
        tensors = _tensors(input)
        leaves = [
            t.detach().requires_grad_() if t.is_floating_point() else t.detach() for t in tensors
        ]
        if isinstance(input, Tensor):
            leaf_input = leaves[0]
        else:
            swap = iter(leaves)
            leaf_input = type(input)(next(swap) if isinstance(v, Tensor) else v for v in input)
        params = [p for p in self.parameters() if p._rg] if want_params else []
        saved = [
            (
                m,
                dict(m.__dict__),
                [(b, b._data.copy()) for b in m._buffers.values() if b is not None],
            )
            for m in self.modules()
        ]
        rng = default_generator.get_state()
        try:
            with enable_grad():
                output = self.forward(leaf_input)
        finally:
            for module, attributes, buffers in saved:
                module.__dict__.clear()
                module.__dict__.update(attributes)
                for buffer, data in buffers:
                    buffer._data[...] = data
        if rng != default_generator.get_state():
            default_generator.set_state(rng)
            raise RuntimeError(
                f"{type(self).__name__}: the default updateGradInput/accGradParameters rerun "
                "forward, and this forward draws random numbers (dropout?), so the rerun would not "
                "match. Drive this module with autograd, call eval(), or implement the protocol "
                "methods by hand."
            )
        outputs, grad_outputs = [], []
        for out, g in zip(_leaves(output), _leaves(gradOutput)):
            if isinstance(out, Tensor) and out._rg and g is not None:
                outputs.append(out)
                grad_outputs.append(g)
        wanted = [leaf for leaf in leaves if leaf._rg] if want_input else []
        grads = [None] * (len(wanted) + len(params))
        if outputs and wanted + params:
            grads = list(autograd_grad(outputs, wanted + params, grad_outputs, allow_unused=True))
        grad_input = None
        if want_input:
            by_leaf = dict(zip(map(id, wanted), grads))
            found = [by_leaf.get(id(leaf)) if leaf._rg else None for leaf in leaves]
            found = [
                wrap(numpy.zeros_like(leaf._data)) if g is None and leaf._rg else g
                for g, leaf in zip(found, leaves)
            ]
            grad_input = found[0] if isinstance(input, Tensor) else tuple(found)
        param_grads = [(p, g._data) for p, g in zip(params, grads[len(wanted) :]) if g is not None]
        return grad_input, param_grads


Module._default_protocol = {
    name: getattr(Module, name)
    for name in ("updateOutput", "updateGradInput", "accGradParameters", "backward")
}


def _leaves(value):
    """The items of a (nested) tuple of tensors, in order; outputs and their gradOutputs line up."""
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _tensors(value):
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [v for v in value if isinstance(v, Tensor)]
    return []


def _views_intact(params, old_params, flat_params, flat_grads):
    """Whether ``params`` are still exactly the views ``getParameters`` made, in order."""
    if len(params) != len(old_params) or any(p is not q for p, q in zip(params, old_params)):
        return False
    offset = 0
    base_p, base_g = flat_params._data, flat_grads._data
    start_p, start_g = _address(base_p), _address(base_g)
    for p in params:
        grad = p._grad
        if (
            p._data.base is not base_p
            or grad is None
            or grad._data.base is not base_g
            or _address(p._data) != start_p + offset * base_p.itemsize
            or _address(grad._data) != start_g + offset * base_g.itemsize
        ):
            return False
        offset += p._data.size
    return True


def _quoted(keys):
    return ", ".join(f'"{k}"' for k in keys)


def _address(array):
    return array.__array_interface__["data"][0]


def _type_name(value):
    if isinstance(value, Tensor):
        return "ember." + {"float32": "FloatTensor", "float64": "DoubleTensor"}.get(
            value.dtype.name, "Tensor"
        )
    return type(value).__name__


def _indent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])
