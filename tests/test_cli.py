"""The `ember` command: train (short runs), resume, Ctrl-C, eval, demo, --version/--help."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

import ember
from ember.cli import main
from ember.trainer import Config, train

FASHION = "/usr/share/datasets/fashion-mnist"


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "ember", *args], capture_output=True, text=True, timeout=600
    )


def test_train_short_run_saves_checkpoint_and_reports(tmp_path, capsys):
    assert (
        main(["train", "--epochs", "2", "--limit", "400", "--out", str(tmp_path), "--no-progress"])
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("test accuracy: ") and lines[-1].endswith("%")
    assert any(line.startswith("epoch   1/2") for line in lines)
    assert (tmp_path / "checkpoint.safetensors").exists()
    assert (tmp_path / "history.json").exists()
    state = ember.load(tmp_path / "checkpoint.safetensors")
    assert state["epoch"] == 2 and len(state["history"]) == 2
    assert set(state) >= {"model", "optimizer", "schedule", "config"}


def test_default_digits_run_reaches_97_percent(tmp_path):
    """The README's main job, exactly as a user runs it (defaults), in-process for speed."""
    started = time.perf_counter()
    result = train(Config(out=str(tmp_path)), progress=False, out=lambda *a: None)
    assert result["test_accuracy"] >= 0.97, result["history"][-1]
    assert time.perf_counter() - started < 120  # the claim is 30 s on an idle machine


def test_resume_continues_where_it_stopped(tmp_path):
    quiet = dict(progress=False, out=lambda *a: None)
    config = Config(epochs=2, limit=300, out=str(tmp_path / "a"))
    train(config, **quiet)
    resumed = train(
        Config(epochs=3, out=str(tmp_path / "a")),
        resume=str(tmp_path / "a" / "checkpoint.safetensors"),
        **quiet,
    )
    assert [h["epoch"] for h in resumed["history"]] == [1, 2, 3]
    straight = train(Config(epochs=3, limit=300, out=str(tmp_path / "b")), **quiet)
    assert len(straight["history"]) == 3


def test_ctrl_c_saves_a_checkpoint(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ember",
            "train",
            "--epochs",
            "500",
            "--out",
            str(tmp_path),
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        for line in process.stdout:  # wait until a whole epoch is done
            if line.startswith("epoch"):
                break
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130
    assert "interrupted: saved" in out and "--resume" in out
    state = ember.load(tmp_path / "checkpoint.safetensors")
    assert state["epoch"] >= 1


def test_eval_reports_accuracy_and_confusion_matrix(tmp_path, capsys):
    main(["train", "--epochs", "1", "--limit", "300", "--out", str(tmp_path), "--no-progress"])
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "checkpoint.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "confusion matrix" in out
    assert out.strip().splitlines()[-1].startswith("test accuracy: ")


def test_eval_of_a_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nope.safetensors")]) == 2
    assert "nope.safetensors" in capsys.readouterr().err


def test_demo_prints_the_seeds_numbers(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "gradWeight = dj_dy x^T = [[4.0, 5.0], [8.0, 10.0], [12.0, 15.0]]" in out
    assert "gradBias   = dj_dy     = [1.0, 2.0, 3.0]" in out
    assert "weight = [[0.0653, 0.4062], [-0.0965, 0.2911], [-0.348, -0.1253]]" in out
    for grad in ("[[2.0, 0.0, 0.0, 0.0]]", "[[0.0, 2.0, 0.0, 0.0]]", "[[2.0, 2.0, 2.0, 2.0]]"):
        assert f"x.grad = {grad}" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:3] in ("99 ", "199", "499")]
    assert len(rows) == 3 and all(
        abs(float(a) - float(b)) <= 1e-3 * abs(float(a)) + 1e-6 for _, a, b in rows
    )


def test_demo_explain_writes_the_drawing(tmp_path, capsys):
    assert main(["demo", "--explain", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "MmBackward0" in out and "grad_b = a^T @ grad" in out
    assert (tmp_path / "seed004_graph.dot").exists()


def test_version_and_help():
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"ember {ember.__version__}"
    for command in ("train", "eval", "generate", "demo"):
        done = run_cli(command, "--help")
        assert done.returncode == 0 and "usage: ember " + command in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--epochs", "0"], "argument --epochs: must be at least 1, got 0"),
        (["train", "--epochs", "two"], "argument --epochs: expected int, got 'two'"),
        (["train", "--batch-size", "0"], "argument --batch-size: must be at least 1, got 0"),
        (["train", "--limit", "-5"], "argument --limit: must be at least 1, got -5"),
        (["train", "--hidden", "64,0"], "argument --hidden: expected comma-separated positive"),
        (["train", "--model", "resnet"], "argument --model: invalid choice: 'resnet'"),
        (["generate", "x.safetensors", "--length", "-1"], "argument --length: must be at least 0"),
        (["generate", "x.safetensors", "--temperature", "-1"], "argument --temperature: must be"),
    ],
)
def test_bad_numbers_are_usage_errors(args, message, capsys):
    """Before these checks, --epochs 0 trained the default 20 epochs, --batch-size 0 the default
    batch, --limit -5 raised an IndexError traceback and --hidden 0 built a model without inputs."""
    with pytest.raises(SystemExit) as raised:
        main(args)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_options_reach_the_config(monkeypatch):
    """Zero is a value, not "use the default" (--lr 0 once became 0.001); '' is no hidden layer."""
    seen = {}
    monkeypatch.setattr("ember.trainer.train", lambda config, **_: seen.update(config=config))
    assert main(["train", "--optimizer", "adam", "--lr", "0", "--hidden", ""]) == 0
    assert seen["config"].lr == 0 and seen["config"].hidden == ()
    assert main(["train", "--dataset", "fashion-mnist"]) == 0
    assert (seen["config"].epochs, seen["config"].batch_size, seen["config"].lr) == (10, 64, 0.05)


def test_model_choices_are_the_models_train_can_build(capsys):
    from ember.models import MODELS

    with pytest.raises(SystemExit):
        main(["train", "--model", "?"])
    (choices,) = re.findall(r"choose from (.*)\)", capsys.readouterr().err)
    assert sorted(re.findall(r"'(\w+)'", choices)) == sorted(MODELS)


def test_eval_of_a_folder_or_a_character_model_is_a_clear_error(tmp_path, capsys):
    from ember.language_models import CharLSTM, save_char_model

    assert main(["eval", str(tmp_path)]) == 2  # was an IsADirectoryError traceback
    assert "Is a directory" in capsys.readouterr().err
    path = str(tmp_path / "char.safetensors")
    save_char_model(path, CharLSTM(3, embedding=2, hidden=2), "abc")
    for command in (["eval", path], ["train", "--resume", path]):  # were KeyError tracebacks
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "not a checkpoint written by `ember train`" in err and "ember generate" in err


def test_unknown_dataset_option_is_rejected():
    done = run_cli("train", "--dataset", "cifar")
    assert done.returncode == 2 and "invalid choice" in done.stderr


@pytest.mark.skipif(
    not os.path.isdir(FASHION), reason=f"{FASHION} absent (apt-get install dataset-fashion-mnist)"
)
def test_fashion_mnist_short_run(tmp_path):
    result = train(
        Config(
            dataset="fashion-mnist", epochs=1, limit=3000, batch_size=64, lr=0.05, out=str(tmp_path)
        ),
        progress=False,
        out=lambda *a: None,
    )
    assert result["test_accuracy"] > 0.6


def test_grad_flow_option_saves_the_plot(tmp_path):
    pytest.importorskip("matplotlib", reason="the grad-flow plot needs matplotlib (ember[plot])")
    assert (
        main(
            [
                "train",
                "--epochs",
                "1",
                "--limit",
                "200",
                "--out",
                str(tmp_path),
                "--no-progress",
                "--grad-flow",
            ]
        )
        == 0
    )
    assert (tmp_path / "grad_flow.png").stat().st_size > 1000
