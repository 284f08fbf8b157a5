"""ember.viz: the drawing of seed 004's net (exact nodes and edges), backward edges labelled with
the ops' rules, grouping by module, DOT text, rendering through Graphviz, deep graphs, and the
gradient-flow recorder."""

import math
import shutil
import sys

import numpy as np
import pytest
from conftest import as_numpy, random_array, rng_for

import ember
import ember.viz
from ember.autograd.module_calls import record_module_call
from ember.ops import elementwise as E
from ember.ops import linalg as L
from ember.viz.graph import GraphvizMissing

SEED_NODES = ["clamp", "mm", "mm", "pow", "sub", "sum", "w1", "w2", "x", "y"]
SEED_EDGES = [
    ("x", "mm"),
    ("w1", "mm"),
    ("mm", "clamp"),
    ("clamp", "mm"),
    ("w2", "mm"),
    ("mm", "sub"),
    ("y", "sub"),
    ("sub", "pow"),
    ("pow", "sum"),
]


def seed_004(N=64, D_in=1000, H=100, D_out=10):
    ember.manual_seed(0)
    x, y = ember.randn(N, D_in), ember.randn(N, D_out)
    w1 = ember.randn(D_in, H, requires_grad=True)
    w2 = ember.randn(H, D_out, requires_grad=True)
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    return loss, dict(w1=w1, w2=w2, x=x, y=y)


def test_seed_004_graph_has_exactly_the_expected_nodes_and_edges():
    loss, named = seed_004()
    graph = ember.viz.draw(loss, named)
    assert sorted(graph.names()) == SEED_NODES
    assert sorted(graph.edge_names()) == sorted(SEED_EDGES)
    assert graph.edge_names("backward") == []
    kinds = {n["name"]: n["kind"] for n in graph.nodes.values()}
    assert kinds["w1"] == kinds["w2"] == "parameter" and kinds["x"] == kinds["y"] == "input"
    losses = [n for n in graph.nodes.values() if n.get("loss")]
    assert [n["grad_fn"] for n in losses] == ["SumBackward0"]
    grad_fns = sorted(n["grad_fn"] for n in graph.nodes.values() if n["kind"] == "op")
    assert grad_fns == [
        "ClampBackward1",
        "MmBackward0",
        "MmBackward0",
        "PowBackward0",
        "SubBackward0",
        "SumBackward0",
    ]
    labels = {
        (graph.nodes[e["tail"]]["name"], graph.nodes[e["head"]]["name"]): e["label"]
        for e in graph.edges
    }
    assert labels[("x", "mm")] == "64x1000 float32"
    assert labels[("mm", "clamp")] == "64x100 float32"
    assert labels[("w2", "mm")] == "100x10 float32"
    assert labels[("pow", "sum")] == "64x10 float32"


def test_dot_text_lists_every_node_and_edge():
    loss, named = seed_004(4, 5, 3, 2)
    graph = ember.viz.draw(loss, named)
    dot = graph.source
    assert dot.startswith('digraph "ember" {') and dot.rstrip().endswith("}")
    assert dot == graph.dot() == str(graph)
    node_lines = [line for line in dot.splitlines() if "[label=" in line and "->" not in line]
    edge_lines = [line for line in dot.splitlines() if "->" in line]
    assert len(node_lines) == 10 and len(edge_lines) == 9
    assert 'label="w1\\n5x3"' in dot and 'label="x\\n4x5"' in dot
    assert "loss: scalar float32" in dot and "peripheries=2" in dot
    assert "10 nodes, 9 edges" in repr(graph)


def test_backward_edges_carry_the_ops_rules():
    loss, named = seed_004(4, 5, 3, 2)
    graph = ember.viz.draw(loss, named, backward=True)
    backward = {
        (graph.nodes[e["tail"]]["name"], graph.nodes[e["head"]]["name"], e["label"])
        for e in graph.edges
        if e["kind"] == "backward"
    }
    # every forward edge that carries a gradient, reversed: not those from x and y
    assert backward == {
        ("sum", "pow", "grad_a = grad broadcast back over the summed dims"),
        ("pow", "sub", E.UNARY["square"].rules[0]),
        ("sub", "mm", "grad_a = grad"),
        ("mm", "clamp", L.mm.rules[0]),
        ("mm", "w2", L.mm.rules[1]),
        ("clamp", "mm", E.PARAMETRIC["clamp"].rules[0]),
        ("mm", "w1", "grad_b = a^T @ grad"),
    }
    assert "constraint=false" in graph.source and "grad_b = a^T @ grad" in graph.source


def test_show_saved_lists_what_backward_reads_and_notices_freed_graphs():
    loss, named = seed_004(4, 5, 3, 2)
    graph = ember.viz.draw(loss, named, show_saved=True)
    labels = sorted(n["label"] for n in graph.nodes.values() if n["kind"] == "op")
    assert "mm\nsaved: a 4x5, b 5x3" in labels and "sub\nsaved: shapes only" in labels
    loss.backward()
    after = ember.viz.draw(loss, named, show_saved=True)
    assert any("freed by backward" in n["label"] for n in after.nodes.values())
    # the structure survives backward; the constant x, read only by mm, is gone with its args
    assert ("w1", "mm") in after.edge_names() and ("y", "sub") in after.edge_names()


def test_unnamed_leaves_and_inputs_are_shown_by_shape():
    a = ember.randn(2, 3, requires_grad=True)
    mask = ember.tensor([[True, False, True], [False, True, True]])
    out = ember.where(mask, a * 2, ember.zeros(2, 3)).sum()
    graph = ember.viz.draw(out)
    assert sorted(graph.names()) == ["2x3", "2x3", "2x3", "mul", "sum", "where"]
    leaf = ember.viz.draw(a, {"a": a})
    assert leaf.names() == ["a"] and leaf.edges == []
    assert [n.get("loss") for n in leaf.nodes.values()] == [True]


def test_names_are_escaped_in_dot():
    w = ember.ones(2, requires_grad=True)
    graph = ember.viz.draw((w * 3).sum(), {'w "quoted" \\ name': w})
    assert 'label="w \\"quoted\\" \\\\ name\\n2"' in graph.source


def test_a_100000_deep_graph_draws_without_recursion():
    x = ember.ones(1, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    graph = ember.viz.draw(y.sum())
    assert len(graph.nodes) == 100_002 and len(graph.edges) == 100_001
    assert graph.source.count("->") == 100_001


# ----- rendering -------------------------------------------------------------------------------


def test_render_png_and_svg_with_graphviz(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed (apt-get install graphviz)")
    loss, named = seed_004()
    graph = ember.viz.draw(loss, named, backward=True)
    png = graph.render(tmp_path / "seed004.png")
    data = open(png, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    svg = graph._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "clamp" in svg
    assert graph.render(tmp_path / "graph", format="svg").endswith("graph.svg")
    dot_path = graph.render(tmp_path / "graph.dot")
    assert open(dot_path).read() == graph.source


def test_render_without_dot_says_how_to_install_it(tmp_path, monkeypatch):
    graph = ember.viz.draw(*seed_004(2, 3, 2, 1))
    monkeypatch.setitem(sys.modules, "graphviz", None)  # no Python package: run `dot` directly
    monkeypatch.setattr(shutil, "which", lambda name: None)  # ... and no `dot` either
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz"):
        graph.render(tmp_path / "x.png")
    assert graph._repr_svg_() is None  # Jupyter falls back to the repr
    assert "digraph" in graph.source  # DOT text needs nothing


# ----- grouping by module ----------------------------------------------------------------------


class Module:
    """A stand-in for ember.nn.Module: parameters, submodules, names, and __call__ through
    record_module_call (the one line ember.nn.Module.__call__ needs)."""

    def __init__(self, **children):
        self.children = children
        self.params = {}

    def __call__(self, *args):
        return record_module_call(self, self.forward, *args)

    def named_parameters(self, prefix=""):
        for name, p in self.params.items():
            yield prefix + name, p
        for name, child in self.children.items():
            yield from child.named_parameters(f"{prefix}{name}.")

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self.children.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)


class Linear(Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.params = {
            "weight": ember.randn(n_out, n_in, requires_grad=True),
            "bias": ember.randn(n_out, requires_grad=True),
        }

    def forward(self, x):
        return x.mm(self.params["weight"].t()) + self.params["bias"]


class ReLU(Module):
    def forward(self, x):
        return x.relu_()  # in place: the module must still own the relu


class Sequential(Module):
    def forward(self, x):
        for child in self.children.values():
            x = child(x)
        return x


class Net(Module):
    def forward(self, x):
        h = self.children["fc1"](x)
        return self.children["fc2"](h.tanh())


def test_group_modules_draws_a_net_as_its_layers():
    model = Sequential(**{"0": Linear(4, 5), "1": ReLU(), "2": Linear(5, 3)})
    x = ember.randn(2, 4)
    loss = model(x).pow(2).mean()
    flat = ember.viz.draw(loss, model)
    assert sorted(flat.names()) == sorted(
        [
            "0.weight",
            "0.bias",
            "2.weight",
            "2.bias",
            "2x4",
            "t",
            "mm",
            "add",
            "relu",
            "t",
            "mm",
            "add",
            "pow",
            "mean",
        ]
    )
    graph = ember.viz.draw(loss, model, group_modules=True, backward=True)
    assert sorted(graph.names()) == ["0", "1", "2", "2x4", "mean", "pow"]
    assert graph.edge_names() == [
        ("2x4", "0"),
        ("0", "1"),
        ("1", "2"),
        ("2", "pow"),
        ("pow", "mean"),
    ]
    modules = {n["name"]: n["label"] for n in graph.nodes.values() if n["kind"] == "module"}
    assert modules["0"] == "0: Linear\n(t, mm, add)\nweight 5x4\nbias 5"
    assert modules["1"] == "1: ReLU\n(relu)"
    assert sorted(graph.edge_names("backward")) == [
        ("1", "0"),
        ("2", "1"),
        ("mean", "pow"),
        ("pow", "2"),
    ]


def test_group_modules_keeps_ops_between_layers_and_marks_a_loss_module():
    net = Net(fc1=Linear(3, 4), fc2=Linear(4, 2))
    x = ember.randn(5, 3)
    graph = ember.viz.draw(net(x).sum(), net, group_modules=True)
    assert graph.edge_names() == [("5x3", "fc1"), ("fc1", "tanh"), ("tanh", "fc2"), ("fc2", "sum")]
    inner = Linear(3, 1)
    graph = ember.viz.draw(inner(x), group_modules=True)
    (module,) = [n for n in graph.nodes.values() if n["kind"] == "module"]
    assert module["loss"] and module["label"].startswith("Linear\n")  # unnamed: by type


def test_shared_parameters_stay_outside_modules():
    shared = Linear(3, 3)
    twice = Sequential(a=shared, b=shared)
    graph = ember.viz.draw(twice(ember.randn(2, 3)).sum(), twice, group_modules=True)
    names = graph.names()
    assert names.count("a") == 2  # two calls of one module: two nodes (named by first name)
    assert "a.weight" in names and "a.bias" in names  # used by both calls: drawn once, outside


# ----- gradient flow ---------------------------------------------------------------------------


def _train(model, params, steps, scale=1.0):
    x = ember.randn(8, 4)
    for _ in range(steps):
        loss = (model(x) * scale).pow(2).sum()
        loss.backward()
        yield loss
        for p in params:
            p.grad = None


def test_grad_flow_records_each_parameters_norm_per_step():
    model = Sequential(**{"0": Linear(4, 5), "1": Linear(5, 2)})
    params = [p for _, p in model.named_parameters()]
    flow = ember.viz.grad_flow(model)
    norms = []
    for _ in _train(model, params, 3):
        flow.record()
        norms.append(
            {name: float(np.linalg.norm(as_numpy(p.grad))) for name, p in model.named_parameters()}
        )
    assert flow.steps == 3 and set(flow.history) == {"0.weight", "0.bias", "1.weight", "1.bias"}
    for name, series in flow.history.items():
        assert series == pytest.approx([n[name] for n in norms])
    summary = flow.summary()
    assert summary["0.weight"]["last"] == pytest.approx(norms[-1]["0.weight"])
    assert "gradient norms over 3 steps" in str(flow) and "1.bias" in str(flow)


def test_grad_flow_flags_vanishing_and_exploding_and_missing():
    tiny = ember.tensor([1e-9], requires_grad=True)
    huge = ember.tensor([1e6], requires_grad=True)
    unused = ember.tensor([1.0], requires_grad=True)
    flow = ember.viz.grad_flow({"tiny": tiny, "huge": huge, "unused": unused})
    (tiny * 1e-9 + huge * huge).sum().backward()
    flow.record()
    summary = flow.summary()
    assert summary["tiny"]["flag"] == "vanishing" and summary["huge"]["flag"] == "exploding"
    assert summary["unused"]["flag"] == "no gradient" and math.isnan(flow.history["unused"][0])


def test_grad_flow_with_hooks_records_by_itself():
    model = Linear(4, 3)
    params = list(model.params.values())
    flow = ember.viz.grad_flow(model, hooks=True)
    losses = list(_train(model, params, 2))
    assert flow.steps == 2 and len(flow.history["weight"]) == 2
    flow.remove()
    list(_train(model, params, 1))
    assert len(flow.history["weight"]) == 2 and losses
    with pytest.raises(ValueError, match="no parameters"):
        ember.viz.grad_flow({"x": ember.ones(2)})


def test_grad_flow_plot(tmp_path, monkeypatch):
    w = ember.tensor(random_array(rng_for(0), (3,)), requires_grad=True)
    flow = ember.viz.grad_flow({"w": w})
    for _ in range(3):
        (w * w).sum().backward()
        flow.record()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        flow.plot(tmp_path / "flow.png")
    monkeypatch.undo()
    pytest.importorskip("matplotlib", reason="plotting needs matplotlib (pip install matplotlib)")
    figure = flow.plot(tmp_path / "flow.png")
    data = open(tmp_path / "flow.png", "rb").read()
    assert data[:4] == b"\x89PNG" and len(data) > 5_000
    assert figure.axes[0].get_yscale() == "log"


class _Split(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        return g1 * 2 + g2 * 3


def test_custom_functions_with_several_outputs_are_drawn():
    x = ember.randn(3, requires_grad=True)
    a, b = _Split.apply(x)
    graph = ember.viz.draw(ember.cat([a, b]).sum(), {"x": x}, backward=True)
    assert graph.names() == ["x", "_split", "_split[0]", "_split[1]", "cat", "sum"]
    assert ("x", "_split") in graph.edge_names() and ("_split[1]", "cat") in graph.edge_names()
    tooltips = [n["tooltip"] for n in graph.nodes.values() if n["name"] == "_split"]
    assert tooltips == ["_SplitBackward: grad = _Split.backward(ctx, grad)  (custom Function)"]


def test_group_modules_without_recorded_calls_warns_and_draws_ops():
    w = ember.randn(2, 2, requires_grad=True)
    with pytest.warns(UserWarning, match="no module calls were recorded"):
        graph = ember.viz.draw(w.mm(w).sum(), {"w": w}, group_modules=True)
    assert sorted(graph.names()) == ["mm", "sum", "w"]
