"""The README's snippets run as shown and print what it says they print."""

import os
import re

import pytest

import ember
from ember import demo, nn
from ember.trainer import Config

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")


def _blocks(language):
    """The fenced code blocks of the README opened with ```language (``""``: a bare fence)."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    # Fences alternate open, close; split on them and keep every other piece.
    pieces = re.split(r"^```(.*)\n", text, flags=re.M)[1:]
    opened = zip(pieces[0::4], pieces[1::4])  # (language, body) of each block
    return [body for tag, body in opened if tag.strip() == language]


def _python_block(containing):
    (block,) = [b for b in _blocks("python") if containing in b]
    return block


def test_tour_by_hand_gives_the_commented_gradients():
    namespace = {}
    exec(_python_block("layer.gradWeight"), namespace)
    layer = namespace["layer"]
    assert layer.gradWeight.tolist() == [[4, 5], [8, 10], [12, 15]]
    assert layer.gradBias.tolist() == [1, 2, 3]
    assert layer.gradWeight is layer.weight.grad


def test_tour_by_hand_update_is_a_plain_sgd_step():
    block = _python_block("layer.gradWeight").replace("layer.updateParameters(0.02)", "")
    namespace = {}
    exec(block, namespace)
    layer = namespace["layer"]
    before = layer.weight.detach().clone()
    layer.updateParameters(0.02)
    assert ember.allclose(layer.weight, before - 0.02 * layer.gradWeight)


def test_tour_with_autograd_prints_the_commented_grad():
    block = _python_block("z.backward")
    namespace = {}
    exec(block, namespace)
    (shown,) = re.findall(r"x\.grad\s+# (.*)", block)
    assert repr(namespace["x"].grad) == shown


def test_drawing_snippet_runs_and_explains(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    block = _python_block("ember.viz.draw")
    namespace = {"print": lambda *args: printed.extend(args)}
    printed = []
    try:
        exec(block, namespace)
    except ember.viz.GraphvizMissing:
        pytest.skip("Graphviz's dot is not installed")
    assert (tmp_path / "graph.png").stat().st_size > 1000
    assert "digraph" in namespace["graph"].source
    assert "MmBackward0" in str(printed[0]) and "w1.grad +=" in str(printed[0])


def test_explain_excerpt_is_what_demo_explain_prints(tmp_path):
    (excerpt,) = [b for b in _blocks("") if "MmBackward0" in b]
    printed = []
    demo.explain_seed_004(out=printed.append, output_dir=str(tmp_path))
    lines = "\n".join(printed).splitlines()
    for line in excerpt.splitlines():
        assert line in lines, line


def test_check_module_snippet_runs_on_a_layer_of_ones_own():
    class MyLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(ember.randn(8, 3))

        def forward(self, x):
            return x.mm(self.weight).tanh()

    exec(_python_block("check_module"), {"ember": ember, "MyLayer": MyLayer})


def test_quick_start_eval_path_is_where_train_saves():
    (quick_start,) = re.findall(r"`ember eval ([^`]+)`", open(README, encoding="utf-8").read())
    assert quick_start == f"{Config().out}/checkpoint.safetensors"


def test_names_table_rows_name_modules_ember_has():
    with open(README, encoding="utf-8") as f:
        rows = [line for line in f if line.startswith(("| softmax", "| losses"))]
    assert len(rows) == 2
    for row in rows:
        pytorch, torch7 = row.split("|")[2:4]
        for name in re.findall(r"`(\w+)`", pytorch + torch7):
            assert hasattr(nn, name), name
