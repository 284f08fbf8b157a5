"""``ember.viz.draw(output)``: the recorded graph that produced ``output``, as a picture.

Leaves (parameters, named from ``params``), constant inputs (tensors that need no gradient, shown
by name or shape), one node per op (named like its grad_fn: ``MmBackward0`` is drawn as ``mm``),
edges carrying the shape and dtype that flowed along them, and the loss marked. With
``backward=True`` each edge that carries a gradient back is drawn again, from the loss side,
labelled with the op's own rule for that gradient (the local derivative the chain rule
multiplies, as in seed 004's diagram).

Shapes of inputs come from what each node saved for backward; after ``backward()`` (without
``retain_graph=True``) ops that read their inputs have freed them, so draw before backward to see
every shape and the constant inputs.
"""

import functools
import warnings

import numpy

from ..autograd.explanation import named_pairs, node_rules, rule_for, shape_text, short_name
from ..autograd.function import OutputSelect
from ..autograd.module_calls import module_of_nodes
from ..tensor import Tensor
from .graph import Graph

__all__ = ["draw"]


def draw(output, params=None, show_saved=False, backward=False, group_modules=False):
    """A :class:`~ember.viz.graph.Graph` of the computation that produced ``output``.

    ``params``: names for tensors (a dict, a module's parameters, or ``(name, tensor)`` pairs);
    tensors that need no gradient (inputs, targets) can be named there too. ``show_saved``: list
    what each op saved for its backward. ``backward``: add the backward edges labelled with each
    op's rule. ``group_modules``: draw each module call (recorded by ``Module.__call__``) as one
    node, with the parameters only it uses folded in.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"draw() expects a Tensor, got {type(output).__name__}")
    pairs = named_pairs(params)
    drawing = _Drawing(pairs, params)
    root = output.grad_fn
    if root is None:  # nothing recorded: the tensor itself is the whole graph
        key = drawing.leaf(output) if output.requires_grad else drawing.constant(output._data)
        drawing.items[key]["loss"] = True
        return drawing.graph([], {}, backward)
    nodes = _forward_order(root)
    edges = []
    for node in nodes:
        args = node.args or ()
        for i, parent in enumerate(node.next):
            arg = args[i] if i < len(args) else None
            if parent is not None:
                tail = id(parent) if parent.is_node else drawing.leaf(parent)
            elif isinstance(arg, numpy.ndarray) and not _number(node, i, arg):
                tail = drawing.constant(arg)
            else:
                continue
            if arg is None and parent is not None and not parent.is_node:
                arg = parent._data  # a leaf's shape is known even after backward freed args
            edges.append((tail, id(node), _edge_text(arg), node, i, parent is not None))
        drawing.op(node, show_saved, node is root, output)  # after its inputs: they draw first
    groups = drawing.group(nodes, edges) if group_modules else {}
    return drawing.graph(edges, groups, backward)


def _number(node, i, arg):
    """Whether argument ``i`` was a Python number (``x * 2`` and ``clamp(x, min=0)`` keep it as a
    0-d array, and the op has no VJP for it): numbers are not drawn, as in PyTorch's graphs."""
    op = type(node).op
    return arg.ndim == 0 and op is not None and (i >= len(op.vjps) or op.vjps[i] is None)


def _forward_order(root):
    """The nodes behind ``root``, each after all the nodes it reads (iterative: graphs may be
    100,000 nodes deep)."""
    consumers = {}
    stack, seen = [root], {root}
    while stack:
        node = stack.pop()
        for parent in node.next:
            if parent is not None and parent.is_node:
                consumers[parent] = consumers.get(parent, 0) + 1
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    order, ready = [], [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in node.next:
            if parent is not None and parent.is_node:
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    ready.append(parent)
    order.reverse()
    return order


def _edge_text(arg):
    shape = getattr(arg, "shape", None)
    if shape is None:
        return ""
    return _shape_and_dtype(shape, arg.dtype)


@functools.lru_cache(maxsize=1024)
def _shape_and_dtype(shape, dtype):
    return f"{shape_text(shape)} {dtype}"


def _saved_text(node):
    """What the node's backward reads, e.g. ``saved: a 64x1000, b 1000x100``."""
    op = type(node).op
    if node.args is None:
        return "saved: (freed by backward)"
    saved = []
    if op is None or op.reads_args:
        rules = [rule_for(node, i) for i in range(len(node.args))]
        for i, arg in enumerate(node.args):
            if isinstance(arg, numpy.ndarray):
                name = rules[i][5:].split(" ", 1)[0] if rules[i].startswith("grad_") else f"arg{i}"
                saved.append(f"{name} {shape_text(arg.shape)}")
    if node.out is not None:
        saved.append(f"out {shape_text(node.out.shape)}")
    return "saved: " + (", ".join(saved) if saved else "shapes only")


class _Drawing:
    """The items being drawn, keyed by ``id`` of what they stand for, before they become a
    :class:`Graph` (with modules grouped, when asked)."""

    def __init__(self, pairs, params):
        self.items = {}
        self.names = {}
        self.data_names = {}
        for name, tensor in pairs:
            self.names.setdefault(id(tensor), name)
            self.data_names.setdefault(id(tensor._data), name)
        self.op_texts = {}
        self.module_names = {}
        if hasattr(params, "named_modules"):
            for name, module in params.named_modules():
                self.module_names.setdefault(id(module), name)

    def leaf(self, tensor):
        key = id(tensor)
        if key not in self.items:
            name = self.names.get(key)
            shape = shape_text(tensor.shape)
            self.items[key] = {
                "name": name or shape,
                "kind": "parameter",
                "shape": shape,
                "label": f"{name}\n{shape}" if name else shape,
                "tooltip": f"leaf tensor {shape} {tensor._data.dtype}",
            }
        return key

    def constant(self, array):
        key = id(array)
        if key not in self.items:
            name = self.data_names.get(key)
            shape = shape_text(array.shape)
            self.items[key] = {
                "name": name or shape,
                "kind": "input",
                "shape": shape,
                "label": f"{name}\n{shape}" if name else shape,
                "tooltip": f"input (no gradient) {shape} {array.dtype}",
            }
        return key

    def op(self, node, show_saved, is_loss, output):
        grad_fn = node.name()
        key = (type(node), grad_fn) if not isinstance(node, OutputSelect) else None
        texts = self.op_texts.get(key)
        if texts is None:  # the same for every node of an op: worked out once
            rules = "; ".join(r for r in node_rules(node) if r)
            texts = (short_name(node), f"{grad_fn}: {rules}" if rules else grad_fn)
            if key is not None:
                self.op_texts[key] = texts
        name, tooltip = texts
        label = name
        if show_saved:
            label += "\n" + _saved_text(node)
        if is_loss:
            label += f"\nloss: {shape_text(output.shape)} {output._data.dtype}"
        self.items[id(node)] = {
            "name": name,
            "kind": "op",
            "label": label,
            "grad_fn": grad_fn,
            "loss": is_loss,
            "tooltip": tooltip,
        }

    def group(self, nodes, edges):
        """``{key: group key}`` folding each leaf module call's nodes (and the leaves only it
        uses) into one item per call."""
        owner = module_of_nodes(nodes)
        if not owner:
            warnings.warn(
                "draw(group_modules=True): no module calls were recorded in this graph, so it is "
                "drawn op by op (modules record their calls when Module.__call__ runs forward "
                "through ember.viz.record_module_call)",
                stacklevel=3,
            )
        groups, ops = {}, {}
        for node in nodes:  # in forward order, so each module lists its ops in order
            call = owner.get(node)
            if call is not None and call.leaf:
                groups[id(node)] = id(call)
                ops.setdefault(call, []).append(short_name(node))
        for call, names in ops.items():
            self.items[id(call)] = self._module_item(call, names)
        self.calls = list(ops)  # items are keyed by id(): keep what the keys stand for alive
        users = {}
        for tail, head, *_ in edges:
            if self.items[tail]["kind"] == "parameter":
                users.setdefault(tail, set()).add(groups.get(head, head))
        for leaf, heads in users.items():
            (head,) = heads if len(heads) == 1 else (None,)
            if head is None or self.items.get(head, {}).get("kind") != "module":
                continue
            groups[leaf] = head
            module, name = self.items[head], self.items[leaf]["name"]
            prefix = module["name"] + "."
            short = name[len(prefix) :] if name.startswith(prefix) else name
            module["label"] += f"\n{short} {self.items[leaf]['shape']}"
        for key in list(groups):  # the loss mark moves to the module that holds the loss
            if self.items[key].get("loss"):
                self.items[groups[key]]["loss"] = True
        return groups

    def _module_item(self, call, ops):
        module_type = type(call.module).__name__
        name = self.module_names.get(id(call.module))
        label = f"{name}: {module_type}" if name else module_type
        return {
            "name": name or module_type,
            "kind": "module",
            "module": call.module,
            "label": f"{label}\n({', '.join(ops)})",
            "tooltip": f"{module_type} call: {len(call.members)} ops",
        }

    def graph(self, edges, groups, backward):
        keys = {}
        graph = Graph()
        for key, item in self.items.items():
            if key in groups:
                continue
            keys[key] = f"n{len(keys)}"
            info = {k: v for k, v in item.items() if k not in ("name", "label", "kind")}
            graph.add_node(keys[key], item["name"], item["label"], item["kind"], **info)
        drawn = set()
        for tail, head, text, *_ in edges:
            tail, head = groups.get(tail, tail), groups.get(head, head)
            if tail == head or (tail, head, text) in drawn:
                continue
            drawn.add((tail, head, text))
            graph.add_edge(keys[tail], keys[head], text)
        if backward:
            drawn = set()
            for tail, head, _, node, index, carries_grad in edges:
                tail, head = groups.get(tail, tail), groups.get(head, head)
                if not carries_grad or tail == head or (head, tail) in drawn:
                    continue
                drawn.add((head, tail))
                graph.add_edge(keys[head], keys[tail], rule_for(node, index), kind="backward")
        return graph
