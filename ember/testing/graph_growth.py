"""A guard against the classic training-loop leak: a step that keeps a reference to its graph
(``total_loss += loss`` instead of ``loss.item()``, outputs stored in a list, a hidden state never
detached), so every step's graph stays alive and memory grows without bound.

    ember.testing.assert_no_graph_growth(train_step, steps=5)

counts the graph nodes alive after each step (through the garbage collector) and fails, naming
the kinds of nodes that pile up, when the count keeps rising.
"""

import collections
import gc

from ..autograd.graph import Node

__all__ = ["assert_no_graph_growth", "count_live_nodes"]


def _live_nodes():
    gc.collect()
    # type(o), not isinstance: some objects (lazy module proxies) compute __class__ with warnings
    return [o for o in gc.get_objects() if issubclass(type(o), Node)]


def count_live_nodes():
    """How many graph nodes (grad_fn objects) are alive right now."""
    return len(_live_nodes())


def assert_no_graph_growth(step_fn, steps=5, warmup=1, tolerance=0):
    """Run ``step_fn()`` ``warmup`` times, then ``steps`` more times, and raise AssertionError if
    more graph nodes are alive after the last step than after the warm-up (by more than
    ``tolerance``) and the count rose at every step. Returns the counts after each step."""
    if steps < 2:
        raise ValueError(f"assert_no_graph_growth needs steps >= 2 to see a trend, got {steps}")
    for _ in range(warmup):
        step_fn()
    before = collections.Counter(type(n).__name__ for n in _live_nodes())
    counts = [sum(before.values())]
    for _ in range(steps):
        step_fn()
        counts.append(count_live_nodes())
    rising = all(b > a for a, b in zip(counts, counts[1:]))
    if rising and counts[-1] - counts[0] > tolerance:
        after = collections.Counter(type(n).__name__ for n in _live_nodes())
        grown = (after - before).most_common(5)
        kinds = ", ".join(f"{name} +{n}" for name, n in grown)
        per_step = (counts[-1] - counts[0]) / steps
        raise AssertionError(
            f"the training step keeps old graphs alive: {per_step:g} more graph nodes after each "
            f"step (live nodes: {' -> '.join(map(str, counts))}). Growing: {kinds}. Something "
            "holds a tensor with history from each step: accumulate `loss.item()` rather than "
            "`loss`, store `output.detach()`, and detach hidden states carried between steps."
        )
    return counts
