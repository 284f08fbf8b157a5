"""``ember.autograd.explain(loss)``: run backward and say, step by step, what the chain rule did.

Each step is one graph node run by the engine (in the engine's order): the gradient arriving at
the node (the gradient of the loss with respect to that node's output), the node's backward rule
with this call's shapes filled in, and what it passes to each input: another node, or a leaf
whose ``.grad`` it accumulates into. The rules are the ops' own (``Op.rules`` in
:mod:`ember.ops`), written once beside each VJP; this module only reads them.

The helpers that describe a node (its short name, its rule for one input, shapes as text, names of
leaves) are shared with :mod:`ember.viz`.
"""

import functools
import json
import re

import numpy

from ..tensor import Tensor, root_gradient, wrap
from .engine import run_backward
from .function import OutputSelect
from .module_calls import module_of_nodes

__all__ = ["explain", "Explanation"]


# ----- describing nodes, shapes and leaves -----------------------------------------------------


def shape_text(shape):
    """``64x10`` for a shape; ``scalar`` for ``()``."""
    return "x".join(str(n) for n in shape) if len(shape) else "scalar"


def short_name(node):
    """The forward op's name from the grad_fn name: ``MmBackward0`` -> ``mm``,
    ``LeakyReluBackward0`` -> ``leaky_relu``; ``split[1]`` for output 1 of a custom Function."""
    if isinstance(node, OutputSelect):
        return f"{_short_name(node.name())}[{node.__dict__['index']}]"
    return _short_name(node.name())


@functools.lru_cache(maxsize=1024)
def _short_name(grad_fn_name):
    name = re.sub(r"Backward\d*$", "", grad_fn_name)
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower() or grad_fn_name


def node_rules(node):
    """The backward rule of each argument of ``node`` (None where an argument gets no gradient),
    from the op's own definition; a custom Function's backward is named instead."""
    op = type(node).op
    if op is not None:
        return op.rules
    if isinstance(node, OutputSelect):
        return (f"grad of output {node.__dict__['index']} goes to the Function's backward",)
    function = getattr(type(node), "function", None)
    if function is not None:
        return (f"grad = {function.__name__}.backward(ctx, grad)  (custom Function)",)
    return ()


def rule_for(node, index):
    """The rule giving the gradient of argument ``index`` of ``node``."""
    rules = node_rules(node)
    if index < len(rules) and rules[index]:
        return rules[index]
    op = type(node).op
    if op is None or op.backward is not None:  # one rule covers every argument (cat, Functions)
        return "; ".join(r for r in rules if r)
    return ""


def named_pairs(params):
    """``[(name, tensor)]`` from a dict of tensors, a module (``named_parameters()``), or an
    iterable of ``(name, tensor)`` pairs."""
    if params is None:
        return []
    if hasattr(params, "named_parameters"):
        pairs = params.named_parameters()
    elif isinstance(params, dict):
        pairs = params.items()
    else:
        pairs = params
    pairs = list(pairs)
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], Tensor)):
            raise TypeError(
                "params must be a dict of name -> Tensor, a Module, or (name, Tensor) pairs; got "
                f"an item of type {type(pair).__name__}"
            )
    return pairs


def named_tensors(params):
    """``{id(tensor): name}`` for :func:`named_pairs` (the first name of a tensor given twice)."""
    names = {}
    for name, tensor in named_pairs(params):
        names.setdefault(id(tensor), name)
    return names


def leaf_name(leaf, names):
    return names.get(id(leaf)) or f"leaf {shape_text(leaf.shape)}"


def target_name(parent, names):
    """What a gradient flows to: a node's grad_fn name, or a leaf's name."""
    return parent.name() if parent.is_node else leaf_name(parent, names)


# Words a rule may use besides its tensors' names and still read as a formula.
_MATH = {"exp", "log", "sqrt", "sign", "sin", "cos", "tanh", "sigmoid", "erf", "floor", "pi"}
# A name, maybe with a number in front (``2a``) and a transpose after (``b^T``).
_SYMBOL = re.compile(r"(?<![A-Za-z_0-9.])(\d*)([A-Za-z_][A-Za-z_0-9]*)(\^T)?")


def _symbol_shapes(node, grad):
    """Each name a rule may use for a tensor (``grad``, and ``a``/``b``/``c``... read from the
    rules' left-hand sides ``grad_a = ...``), mapped to its shape in this call."""
    shapes = {"grad": getattr(grad, "shape", None)}
    args = node.args or ()
    for i, rule in enumerate(node_rules(node)):
        match = re.match(r"grad_(\w+) =", rule or "")
        if match and i < len(args) and hasattr(args[i], "shape"):
            shapes[match.group(1)] = args[i].shape
    return {name: shape for name, shape in shapes.items() if shape is not None}


def rule_shapes(rule, node, grad, result):
    """This call's shapes in ``rule``: ``(64x10) @ (10x100) -> (64x100)`` for
    ``grad_a = grad @ b^T``; for a rule in words, the gradient's shape in and out."""
    out = getattr(result, "shape", None)
    if out is None:
        return ""
    shapes = _symbol_shapes(node, grad)
    rhs = rule.partition(" = ")[2]
    words = [m.group(2) for m in _SYMBOL.finditer(rhs)]
    if rhs and words and all(w in shapes or w in _MATH for w in words):

        def substitute(match):
            factor, name, transposed = match.groups()
            if name not in shapes:
                return match.group(0)
            shape = tuple(shapes[name])
            if transposed and len(shape) >= 2:
                shape = shape[:-2] + shape[:-3:-1]
            return f"{factor} * ({shape_text(shape)})" if factor else f"({shape_text(shape)})"

        text = _SYMBOL.sub(substitute, rhs)
    elif "grad" in shapes:
        text = f"({shape_text(shapes['grad'])})"
    else:
        return ""
    op = type(node).op
    if op is not None and op.broadcasts and "grad" in shapes and tuple(shapes["grad"]) != out:
        return f"{text} -> summed over the broadcast dims -> ({shape_text(out)})"
    return f"{text} -> ({shape_text(out)})"


def gradient_summary(grad):
    """``(shape, norm)`` of a gradient array or tensor (``(None, None)`` for anything else)."""
    data = getattr(grad, "_data", grad)
    if not isinstance(data, numpy.ndarray):
        return None, None
    norm = float(numpy.sqrt(numpy.vdot(data, data).real)) if data.size else 0.0
    return tuple(data.shape), norm


# ----- explaining one backward pass ------------------------------------------------------------


def explain(loss, params=None, gradient=None, retain_graph=False):
    """Run ``loss.backward(gradient)`` and return an :class:`Explanation` of every step.

    ``params`` names the leaves (a dict, a module, or ``(name, tensor)`` pairs); others are shown
    by shape. Gradients accumulate into ``.grad`` exactly as ``loss.backward()`` would.
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"explain() expects the Tensor to differentiate, got {type(loss).__name__}")
    if not loss.requires_grad:
        raise RuntimeError(
            "explain(): the loss does not require grad and has no grad_fn, so there is no "
            "backward pass to explain (did any leaf have requires_grad=True?)"
        )
    names = named_tensors(params)
    root = loss.grad_fn or loss
    modules = _module_names(root, params) if root.is_node else {}
    steps = []

    def observe(node, grad, grads_in):
        steps.append(_step(len(steps) + 1, node, grad, grads_in, names))
        steps[-1]["module"] = modules.get(node)

    start = root_gradient(loss, gradient, 0, False)
    run_backward([root], [start], retain_graph=retain_graph, observer=observe)
    if not root.is_node:  # the loss is itself a leaf: its gradient is the starting one
        steps.append(_leaf_step(loss, start, names))
    return Explanation(steps, loss, names)


def _module_names(root, params):
    """``{node: name}`` of the innermost module call (recorded by ``Module.__call__``) that
    recorded each node: its name in ``params.named_modules()``, else its class name."""
    nodes, stack, seen = [], [root], {root}
    while stack:
        node = stack.pop()
        nodes.append(node)
        for parent in node.next:
            if parent is not None and parent.is_node and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    owner = module_of_nodes(nodes)
    if not owner:
        return {}
    known = {}
    if hasattr(params, "named_modules"):
        for name, module in params.named_modules():
            known.setdefault(id(module), name)
    return {
        node: known.get(id(call.module)) or type(call.module).__name__
        for node, call in owner.items()
    }


def _as_tensor(grad):
    data = getattr(grad, "_data", grad)
    return wrap(data) if isinstance(data, numpy.ndarray) else None


def _step(number, node, grad, grads_in, names):
    shape, norm = gradient_summary(grad)
    inputs = []
    for i, parent in enumerate(node.next):
        g = grads_in[i] if i < len(grads_in) else None
        if parent is None or g is None:
            continue
        rule = rule_for(node, i)
        g_shape, g_norm = gradient_summary(g)
        inputs.append(
            {
                "input": i,
                "to": target_name(parent, names),
                "leaf": not parent.is_node,
                "rule": rule,
                "shapes": rule_shapes(rule, node, grad, g),
                "grad": _as_tensor(g),
                "grad_shape": g_shape,
                "grad_norm": g_norm,
            }
        )
    return {
        "step": number,
        "node": node.name(),
        "op": short_name(node),
        "grad": _as_tensor(grad),
        "grad_shape": shape,
        "grad_norm": norm,
        "rule": "; ".join(r for r in node_rules(node) if r),
        "inputs": inputs,
        "accumulates": [entry["to"] for entry in inputs if entry["leaf"]],
    }


def _leaf_step(leaf, grad, names):
    shape, norm = gradient_summary(grad)
    name = leaf_name(leaf, names)
    entry = {
        "input": 0,
        "to": name,
        "leaf": True,
        "rule": "grad = 1 (the loss itself)",
        "shapes": "",
        "grad": _as_tensor(grad),
        "grad_shape": shape,
        "grad_norm": norm,
    }
    return {
        "step": 1,
        "node": "AccumulateGrad",
        "op": "accumulate",
        "grad": _as_tensor(grad),
        "grad_shape": shape,
        "grad_norm": norm,
        "rule": entry["rule"],
        "inputs": [entry],
        "accumulates": [name],
        "module": None,
    }


class Explanation:
    """The steps of one backward pass. Iterates over the steps (dicts); prints as a table;
    ``to_json()`` gives the same data without the gradient arrays."""

    def __init__(self, steps, loss, names=None):
        self.steps = steps
        self.loss_shape = tuple(loss.shape)
        self.loss_dtype = str(loss.dtype).split(".")[-1]
        self.names = names or {}

    def __iter__(self):
        return iter(self.steps)

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, index):
        return self.steps[index]

    def step(self, node):
        """The steps run by nodes named ``node`` (``"MmBackward0"`` or ``"mm"``), in order."""
        return [s for s in self.steps if node in (s["node"], s["op"])]

    def to_list(self):
        """The steps as plain data (no gradient arrays): lists, strings and numbers."""
        plain = []
        for s in self.steps:
            step = {k: v for k, v in s.items() if k != "grad"}
            step["grad_shape"] = _listed(step["grad_shape"])
            step["inputs"] = [
                {
                    k: (_listed(v) if k == "grad_shape" else v)
                    for k, v in entry.items()
                    if k != "grad"
                }
                for entry in s["inputs"]
            ]
            plain.append(step)
        return plain

    def to_json(self, indent=None):
        return json.dumps(self.to_list(), indent=indent)

    def __str__(self):
        header = (
            f"Backward pass of a {shape_text(self.loss_shape)} {self.loss_dtype} loss: "
            f"{len(self.steps)} step{'s' if len(self.steps) != 1 else ''}, in the order "
            "the engine ran them"
        )
        with_modules = any(s["module"] for s in self.steps)
        rows = [
            ("#", "node", "module", "grad arriving", "rule, with this call's shapes", "passes to")
        ]
        for s in self.steps:
            first = (
                str(s["step"]),
                s["node"],
                s["module"] or "",
                _shape_norm(s["grad_shape"], s["grad_norm"]),
            )
            if not s["inputs"]:
                rows.append((*first, s["rule"], "(nothing)"))
            for k, entry in enumerate(s["inputs"]):
                rule = entry["rule"] + (f",  {entry['shapes']}" if entry["shapes"] else "")
                to = entry["to"] + (".grad +=" if entry["leaf"] else "")
                passes = f"{to} {_shape_norm(entry['grad_shape'], entry['grad_norm'])}"
                rows.append((*(first if k == 0 else ("",) * 4), rule, passes))
        if not with_modules:
            rows = [r[:2] + r[3:] for r in rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [header]
        for r in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        return "\n".join(lines)

    __repr__ = __str__


def _listed(shape):
    return None if shape is None else list(shape)


def _shape_norm(shape, norm):
    if shape is None:
        return "?"
    return f"{shape_text(shape)} |{norm:.4g}|"
