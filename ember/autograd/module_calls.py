"""Which module call recorded which graph nodes, so drawings and explanations can speak in layers.

Nothing is added to the recording of ops (that path stays as fast as it is). Instead
``Module.__call__`` runs its forward through :func:`record_module_call`, which notes on the
output's grad_fn which module produced it from which inputs. The nodes a call recorded are then
found when needed (drawing, explaining) by walking back from that output to those inputs:
:func:`module_of_nodes`.

A forward that reads a tensor with history that is not one of its inputs (a hidden state kept on
the module, say) is seen as containing that tensor's history too.
"""

from weakref import ref

from ..tensor import Tensor
from .grad_mode import STATE

__all__ = ["record_module_call", "module_of_nodes"]


def record_module_call(module, forward, /, *args, **kwargs):
    """``forward(*args, **kwargs)``, with a note on each output's grad_fn that ``module``
    computed it from ``args`` (``Module.__call__`` calls its forward this way)."""
    if not STATE.enabled:
        return forward(*args, **kwargs)
    # The inputs' places in the graph, taken before forward: an in-place op may move them.
    starts = []  # weak references: a note must not keep the inputs' graph alive
    for a in args:  # tensors themselves first: the usual call (x), or (input, target)
        if isinstance(a, Tensor):
            if a._rg:
                starts.append(ref(a._grad_fn or a))
        elif isinstance(a, (tuple, list, dict)):
            starts.extend(ref(t._grad_fn or t) for t in _tensors((a,)) if t._rg)
    if kwargs:
        starts.extend(ref(t._grad_fn or t) for t in _tensors(kwargs.values()) if t._rg)
    result = forward(*args, **kwargs)
    note = None
    for out in (result,) if isinstance(result, Tensor) else _tensors((result,)):
        node = out._grad_fn
        if node is None:
            continue
        if note is None:
            note = (module, tuple(starts))
        calls = node.module_calls
        if calls is None:
            node.module_calls = [note]
        elif calls[-1] is not note:  # the same tensor returned twice is one call
            calls.append(note)
    return result


def _tensors(values):
    """The tensors among ``values``, looking one level into tuples, lists and dicts."""
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (tuple, list)):
            yield from (x for x in v if isinstance(x, Tensor))
        elif isinstance(v, dict):
            yield from (x for x in v.values() if isinstance(x, Tensor))


class ModuleCall:
    """One recorded call: the module, the node of its output and the nodes it recorded."""

    __slots__ = ("module", "output", "members", "leaf")

    def __init__(self, module, output, members):
        self.module, self.output, self.members = module, output, members
        self.leaf = True  # no other call inside it


def module_of_nodes(nodes):
    """``{node: ModuleCall}``: the innermost module call that recorded each node, for the nodes
    of one graph (an iterable of all of them); nodes outside every call are left out. Calls that
    contain other calls have ``leaf = False``."""
    calls = []
    for node in nodes:
        for position, (module, starts) in enumerate(node.module_calls or ()):
            stops = {id(ref()) for ref in starts if ref() is not None}
            members = _members(node, stops)
            if members:
                calls.append((position, ModuleCall(module, node, members)))
    if not calls:
        return {}
    # A call is not a leaf when another call's output lies inside it; on a shared output node the
    # calls are listed innermost first (an inner forward returns before the outer one).
    for position, call in calls:
        if position > 0:
            call.leaf = False
            continue
        for _, other in calls:
            if other.output is not call.output and other.output in call.members:
                call.leaf = False
                break
    owner = {}
    for _, call in sorted(calls, key=lambda pc: -len(pc[1].members)):  # inner calls win
        for member in call.members:
            owner[member] = call
    return owner


def _members(output, stops):
    """The nodes from ``output`` back to (not including) the nodes and leaves in ``stops``."""
    if id(output) in stops:
        return set()
    members, stack = {output}, [output]
    while stack:
        node = stack.pop()
        for parent in node.next:
            if parent is None or not parent.is_node or id(parent) in stops or parent in members:
                continue
            members.add(parent)
            stack.append(parent)
    return members
