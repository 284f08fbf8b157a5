"""Containers: ``Sequential`` (a chain of layers), ``ModuleList`` and ``ModuleDict``.

Sequential's protocol is the chain rule along the chain: its backward runs each layer's backward
from the last to the first, each layer's ``gradInput`` becoming the previous one's ``gradOutput``
(Torch7's ``nn.Sequential``). Like autograd, it skips the first layer's ``gradInput`` when the
input does not require grad (data): nothing would read it, and for a first ``Linear`` it is a
matrix product as large as the rest of the step. ``backward`` then returns None;
``updateGradInput`` always computes it.
"""

import collections
import operator

from ...tensor import Tensor
from ..module import Module, _indent

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _renumbered(container, modules):
    """Replace ``container``'s children with ``modules``, named 0, 1, 2..."""
    for name in list(container._modules):
        container._forget(name)
    for i, module in enumerate(modules):
        container.add_module(str(i), module)


def _index(index, length, kind):
    index = operator.index(index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a {kind} of length {length}")
    return index % length


class Sequential(Module):
    """``Sequential(layer, layer, ...)`` or ``Sequential(OrderedDict(name=layer, ...))``: each
    layer's output is the next one's input."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], collections.OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
            return
        for i, module in enumerate(args):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {i} is a {type(module).__name__}, not a Module"
                )
            self.add_module(str(i), module)

    # ----- a list of layers ---------------------------------------------------------------------

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(collections.OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_index(index, len(self), "Sequential")]

    def __setitem__(self, index, module):
        name = list(self._modules)[_index(index, len(self), "Sequential")]
        setattr(self, name, module)

    def __delitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_index(index, len(self), "Sequential")]
        _renumbered(self, modules)

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(
                "add operator supports only objects of Sequential class, but "
                f"{type(other)} is given."
            )
        return Sequential(*self, *other)

    def __iadd__(self, other):
        return self.extend(other)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    add = append  # Torch7: model:add(layer)

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        modules = list(self._modules.values())
        n = len(modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        modules.insert(index % (n + 1) if index < 0 else index, module)
        _renumbered(self, modules)
        return self

    def pop(self, index):
        module = self[index]
        del self[index]
        return module

    # ----- the protocol -------------------------------------------------------------------------

    def updateOutput(self, input):
        inputs = []
        output = input
        for module in self._modules.values():
            inputs.append(output)
            output = module(output)
        self.__dict__["_inputs"] = inputs  # each layer's input, for backward
        self._remember(input, output)
        return output

    def _trace(self, input, method):
        if not self._check_input(input, method):
            raise RuntimeError(
                f"Sequential.{method}: no forward on record; the layers' inputs "
                "come from forward, so call forward(input) first"
            )
        return list(self._modules.values()), self._inputs

    def updateGradInput(self, input, gradOutput):
        modules, inputs = self._trace(input, "updateGradInput")
        grad = gradOutput
        for i in range(len(modules) - 1, -1, -1):
            grad = modules[i].updateGradInput(inputs[i], grad)
        self.gradInput = grad
        return grad

    def accGradParameters(self, input, gradOutput, scale=1):
        # Each layer's gradOutput is the next layer's gradInput, from updateGradInput.
        modules, inputs = self._trace(input, "accGradParameters")
        grad = gradOutput
        for i in range(len(modules) - 1, -1, -1):
            modules[i].accGradParameters(inputs[i], grad, scale)
            grad = modules[i].gradInput

    def backward(self, input, gradOutput, scale=1):
        modules, inputs = self._trace(input, "backward")
        grad = gradOutput
        for i in range(len(modules) - 1, 0, -1):
            grad = modules[i].backward(inputs[i], grad, scale)
        if modules and isinstance(input, Tensor) and not input._rg:
            modules[0].accGradParameters(input, grad, scale)
            grad = None  # the input does not require grad: no gradInput (see the module docstring)
        elif modules:
            grad = modules[0].backward(input, grad, scale)
        self.gradInput = grad
        return grad


class ModuleList(Module):
    """A list of modules, registered as children (so their parameters are the container's)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __repr__(self):
        """Runs of children that print alike fold into one line, ``(0-2): 3 x Linear(...)``, as
        in PyTorch."""
        shown = [_indent(repr(m), 2) for m in self._modules.values()]
        if not shown:
            return self._get_name() + "()"
        lines, start = [], 0
        for i in range(1, len(shown) + 1):
            if i == len(shown) or shown[i] != shown[start]:
                count = i - start
                if count == 1:
                    lines.append(f"({start}): {shown[start]}")
                else:
                    lines.append(f"({start}-{i - 1}): {count} x {shown[start]}")
                start = i
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return list(self._modules.values())[_index(index, len(self), "ModuleList")]

    def __setitem__(self, index, module):
        setattr(self, str(_index(index, len(self), "ModuleList")), module)

    def __delitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_index(index, len(self), "ModuleList")]
        _renumbered(self, modules)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList([*self, *other])

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        if isinstance(modules, (Module, str)) or not hasattr(modules, "__iter__"):
            raise TypeError(
                "ModuleList.extend should be called with an iterable, but got "
                f"{type(modules).__name__}"
            )
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, module)
        _renumbered(self, modules)

    def pop(self, index=-1):
        module = self[index]
        del self[index]
        return module


class ModuleDict(Module):
    """A dict of modules, registered as children under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        self._forget(key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        for key in list(self._modules):
            self._forget(key)

    def pop(self, key):
        module = self._modules[key]
        self._forget(key)
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        pairs = modules.items() if hasattr(modules, "items") else modules
        for i, pair in enumerate(pairs):
            if isinstance(pair, (tuple, list)) and len(pair) != 2:
                raise ValueError(
                    f"ModuleDict update sequence element #{i} has length {len(pair)}; 2 is required"
                )
            key, module = pair
            self[key] = module
