"""``ember demo``: the seeds' examples, run by ember, with their numbers.

- Seed 001: Torch7's layer protocol on ``Linear(2, 3)``: zeroGradParameters, updateGradInput,
  accGradParameters, updateParameters(0.02).
- Seed 003: ``z.backward(gradient)`` as a vector-Jacobian product, one gradient vector at a time.
- Seed 004: the two-layer net trained with hand-written backprop and with autograd, side by side.
"""

import os

import numpy

import ember
from ember import autograd, viz

__all__ = ["seed_001", "seed_003", "seed_004", "explain_seed_004", "run"]

# Seed 001's printed weights and bias for Linear(2, 3) (it drew them at random; we reuse them).
SEED_001_WEIGHT = [[0.1453, 0.5062], [0.0635, 0.4911], [-0.1080, 0.1747]]
SEED_001_BIAS = [0.2063, -0.1635, -0.0883]


def seed_001(out=print):
    """Seed 001: drive ``nn.Linear(2, 3)`` by hand with the Torch7 protocol."""
    layer = ember.nn.Linear(2, 3).double()
    with ember.no_grad():
        layer.weight.copy_(ember.tensor(SEED_001_WEIGHT, dtype=ember.float64))
        layer.bias.copy_(ember.tensor(SEED_001_BIAS, dtype=ember.float64))
    layer.zeroGradParameters()
    x = ember.tensor([4.0, 5.0], dtype=ember.float64)
    dj_dy = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    layer.forward(x)
    out("seed 001 - Torch7's layer protocol on Linear(2, 3)")
    out(
        "  updateGradInput(x, dj_dy)   -> gradInput  = W^T dj_dy = "
        + _fmt(layer.updateGradInput(x, dj_dy))
    )
    layer.accGradParameters(x, dj_dy)
    out(f"  accGradParameters(x, dj_dy) -> gradWeight = dj_dy x^T = {_fmt(layer.gradWeight)}")
    out(f"                                 gradBias   = dj_dy     = {_fmt(layer.gradBias)}")
    out(f"  gradWeight is weight.grad: {layer.gradWeight is layer.weight.grad}")
    layer.updateParameters(0.02)
    out(f"  updateParameters(0.02)      -> weight = {_fmt(layer.weight)}")
    out(f"                                 bias   = {_fmt(layer.bias)}")
    return layer


def seed_003(out=print):
    """Seed 003: the gradient argument of backward() weights each output's gradient."""
    from ember.autograd import Variable

    x = Variable(ember.FloatTensor([[1, 2, 3, 4]]), requires_grad=True)
    z = 2 * x
    loss = z.sum(dim=1)
    out("seed 003 - backward(gradient) is a vector-Jacobian product; z = 2x")
    results = []
    for weights in ([[1, 0, 0, 0]], [[0, 1, 0, 0]], [[1, 1, 1, 1]]):
        z.backward(ember.FloatTensor(weights), retain_graph=True)
        results.append(x.grad.data.clone())
        out(f"  z.backward({weights}) -> x.grad = {_fmt(x.grad)}")
        x.grad.data.zero_()
    loss.backward()
    results.append(x.grad.data.clone())
    out(f"  loss = z.sum(dim=1); loss.backward() -> x.grad = {_fmt(x.grad)}")
    return results


def seed_004(steps=500, every=100, out=print, seed=0):
    """Seed 004: the same two-layer net trained by hand-written backprop and by autograd."""
    n, d_in, hidden, d_out, learning_rate = 64, 1000, 100, 10, 1e-6
    rng = numpy.random.default_rng(seed)
    x, y = (rng.standard_normal(s).astype(numpy.float32) for s in ((n, d_in), (n, d_out)))
    w1_init = rng.standard_normal((d_in, hidden)).astype(numpy.float32)
    w2_init = rng.standard_normal((hidden, d_out)).astype(numpy.float32)

    # By hand, as the seed writes it (with ember tensors and no autograd).
    xs, ys = ember.from_numpy(x), ember.from_numpy(y)
    w1, w2 = ember.tensor(w1_init), ember.tensor(w2_init)
    # Through autograd, from the same starting weights.
    a1 = ember.tensor(w1_init, requires_grad=True)
    a2 = ember.tensor(w2_init, requires_grad=True)
    out("seed 004 - two-layer net, hand-written backprop vs autograd (same initial weights)")
    out(f"  {'step':>5}  {'hand-written loss':>18}  {'autograd loss':>14}")
    rows = []
    for t in range(steps):
        h = xs.mm(w1)
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2)
        loss = (y_pred - ys).pow(2).sum().item()
        grad_y_pred = 2.0 * (y_pred - ys)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_w1 = xs.t().mm(grad_h)
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2

        auto_loss = (xs.mm(a1).clamp(min=0).mm(a2) - ys).pow(2).sum()
        auto_loss.backward()
        with ember.no_grad():
            a1 -= learning_rate * a1.grad
            a2 -= learning_rate * a2.grad
            a1.grad.zero_()
            a2.grad.zero_()
        if t % every == every - 1:
            rows.append((t, loss, auto_loss.item()))
            out(f"  {t:>5}  {loss:>18.6f}  {auto_loss.item():>14.6f}")
    return rows


# Seed 004's hand-written backward pass, line by line, next to the node that computes the same.
SEED_004_LINES = [
    ("pow", "grad_y_pred = 2.0 * (y_pred - y)"),
    ("mm", "grad_w2 = h_relu.t().mm(grad_y_pred);  grad_h_relu = grad_y_pred.mm(w2.t())"),
    ("clamp", "grad_h = grad_h_relu.clone();  grad_h[h < 0] = 0"),
    ("mm", "grad_w1 = x.t().mm(grad_h)"),
]


def explain_seed_004(out=print, output_dir=".", seed=0):
    """Draw seed 004's graph (forward, and backward paths labelled with each local derivative)
    and explain its backward pass step by step, beside the seed's hand-written lines."""
    n, d_in, hidden, d_out = 64, 1000, 100, 10
    rng = numpy.random.default_rng(seed)
    x, y = (
        ember.from_numpy(rng.standard_normal(s).astype(numpy.float32))
        for s in ((n, d_in), (n, d_out))
    )
    w1 = ember.tensor(rng.standard_normal((d_in, hidden)).astype(numpy.float32), requires_grad=True)
    w2 = ember.tensor(
        rng.standard_normal((hidden, d_out)).astype(numpy.float32), requires_grad=True
    )
    loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
    names = {"w1": w1, "w2": w2, "x": x, "y": y}
    graph = viz.draw(loss, names, backward=True)  # before backward, which frees saved inputs
    os.makedirs(output_dir, exist_ok=True)
    dot_path = os.path.join(output_dir, "seed004_graph.dot")
    with open(dot_path, "w") as f:
        f.write(graph.source)
    try:
        picture = graph.render(os.path.join(output_dir, "seed004_graph.png"))
    except viz.GraphvizMissing as missing:
        picture = None
        out(f"(no picture: {missing})")
    out(
        "seed 004 - the graph autograd recorded"
        + (f": drawn to {picture}" if picture else "")
        + f" (DOT text in {dot_path})"
    )
    out("")
    out("the backward pass, step by step (ember.autograd.explain):")
    out(str(autograd.explain(loss, {"w1": w1, "w2": w2})))
    out("")
    out("seed 004's hand-written lines compute the same gradients:")
    for op, line in SEED_004_LINES:
        out(f"  {op:>6} step  <->  {line}")
    return graph


def run(explain=False, out=print, output_dir="."):
    seed_001(out)
    out("")
    seed_003(out)
    out("")
    seed_004(out=out)
    if explain:
        out("")
        explain_seed_004(out=out, output_dir=output_dir)


def _fmt(t):
    values = numpy.round(t.detach().numpy().astype(numpy.float64), 4).tolist()
    return str(values).replace("-0.0,", "0.0,")
