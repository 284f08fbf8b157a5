"""``ember.viz.grad_flow(model)``: watch each parameter's gradient norm over training steps, to
spot gradients that vanish (norms falling towards 0 in the first layers) or explode (growing
without bound).

    flow = ember.viz.grad_flow(model)
    for batch in data:
        loss = ...; loss.backward()
        flow.record()          # after backward, before the optimizer clears the gradients
        optimizer.step(); optimizer.zero_grad()
    print(flow)                # a table: last, smallest and largest norm of each parameter
    flow.plot("grad_flow.png") # one line per parameter, log scale (needs matplotlib)

``grad_flow(model, hooks=True)`` records by itself, from a hook on each parameter that sees the
gradient of each backward pass (call ``remove()`` when done).
"""

import math

import numpy

from ..autograd.explanation import named_pairs

__all__ = ["grad_flow", "GradFlow"]

VANISHING = 1e-7
EXPLODING = 1e3


def grad_flow(model, hooks=False):
    """A :class:`GradFlow` watching ``model``'s parameters (a module, a dict of tensors, or
    ``(name, tensor)`` pairs)."""
    return GradFlow(model, hooks=hooks)


class GradFlow:
    """Per-parameter gradient norms, one entry per recorded step (``history[name]``; NaN for a
    step where the parameter had no gradient)."""

    def __init__(self, model, hooks=False):
        self.params = [(name, p) for name, p in named_pairs(model) if p.requires_grad]
        if not self.params:
            raise ValueError("grad_flow: no parameters that require grad to watch")
        self.history = {name: [] for name, _ in self.params}
        self.steps = 0
        self._handles = []
        if hooks:
            for name, p in self.params:
                self._handles.append(p.register_hook(self._hook(name)))

    def _hook(self, name):
        def on_grad(grad):
            series = self.history[name]
            series.append(_norm(grad))
            self.steps = max(self.steps, len(series))

        return on_grad

    def record(self):
        """Note each parameter's current ``.grad`` norm as one step."""
        for name, p in self.params:
            self.history[name].append(math.nan if p.grad is None else _norm(p.grad))
        self.steps += 1
        return self

    def remove(self):
        """Stop recording through hooks."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def summary(self):
        """``{name: {"last", "min", "max", "flag"}}``; flag is ``vanishing``, ``exploding`` or
        ``""``, judged on the last norm."""
        result = {}
        for name, series in self.history.items():
            values = [v for v in series if not math.isnan(v)]
            if not values:
                result[name] = {
                    "last": math.nan,
                    "min": math.nan,
                    "max": math.nan,
                    "flag": "no gradient",
                }
                continue
            last = values[-1]
            flag = "vanishing" if last < VANISHING else "exploding" if last > EXPLODING else ""
            result[name] = {"last": last, "min": min(values), "max": max(values), "flag": flag}
        return result

    def __str__(self):
        rows = [("parameter", "last |grad|", "min", "max", "")]
        for name, s in self.summary().items():
            rows.append((name, f"{s['last']:.4g}", f"{s['min']:.4g}", f"{s['max']:.4g}", s["flag"]))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = [f"gradient norms over {self.steps} step{'s' if self.steps != 1 else ''}"]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        return "\n".join(lines)

    __repr__ = __str__

    def plot(self, path=None, title="Gradient flow"):
        """Draw one line per parameter (gradient norm against step, log scale) with matplotlib;
        save it to ``path`` when given. Returns the matplotlib Figure."""
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError(
                "GradFlow.plot needs matplotlib: pip install matplotlib (or pip install "
                "'ember[plot]'). The numbers are in .history and print(flow) without it."
            ) from None
        figure = Figure(figsize=(8, 4.5))
        axes = figure.add_subplot()
        for name, series in self.history.items():
            values = numpy.asarray(series, dtype=float)
            axes.plot(
                numpy.arange(1, len(values) + 1),
                numpy.where(values > 0, values, numpy.nan),
                label=name,
                marker="." if len(values) < 30 else None,
            )
        axes.set_yscale("log")
        axes.set_xlabel("step")
        axes.set_ylabel("gradient norm")
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
        if len(self.history) <= 20:
            axes.legend(fontsize=8, loc="best")
        figure.tight_layout()
        if path is not None:
            figure.savefig(path)
        return figure


def _norm(grad):
    data = getattr(grad, "_data", grad)
    return float(numpy.sqrt(numpy.vdot(data, data).real))
