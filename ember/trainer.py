"""Training a classifier end to end: what ``ember train`` and ``ember eval`` run.

One :class:`Config` says what to train; :func:`train` builds the data, model, optimizer and
schedule from it, runs the epochs with a progress bar, evaluates after each, and saves a
checkpoint (model + optimizer + schedule + config + history) that :func:`train` can resume from
and :func:`evaluate_checkpoint` can reload.
"""

import dataclasses
import json
import os
import time

import numpy

from . import datasets, models, nn, optim
from .autograd import no_grad
from .creation import from_numpy
from .data import DataLoader, Subset
from .random import Generator, manual_seed
from .serialization import load, save

__all__ = [
    "Config",
    "train",
    "evaluate",
    "evaluate_checkpoint",
    "load_checkpoint",
    "load_data",
    "confusion_matrix",
]

# What train() saves and what resuming and evaluating read back.
CHECKPOINT_KEYS = ("config", "model", "optimizer", "schedule", "history", "epoch")


@dataclasses.dataclass
class Config:
    dataset: str = "digits"
    root: str | None = None
    model: str = "mlp"
    hidden: tuple = (256, 256)
    dropout: float = 0.0
    epochs: int = 20
    batch_size: int = 32
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    label_smoothing: float = 0.1
    seed: int = 0
    out: str = "runs/ember"
    limit: int | None = None  # use only the first N training examples (quick runs, tests)

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in dataclasses.fields(cls)}
        config = cls(**{k: v for k, v in values.items() if k in known})
        config.hidden = tuple(config.hidden)
        return config


def load_data(config):
    """``(train_set, test_set, input_shape, num_classes)`` for the configured dataset."""
    if config.dataset == "digits":
        train_set, test_set = datasets.digits()
    elif config.dataset in ("fashion-mnist", "fashion_mnist"):
        train_set = datasets.fashion_mnist(config.root, train=True)
        test_set = datasets.fashion_mnist(config.root, train=False)
    elif config.dataset == "mnist":
        train_set = datasets.mnist(config.root, train=True)
        test_set = datasets.mnist(config.root, train=False)
    else:
        raise ValueError(
            f"unknown dataset '{config.dataset}': choose digits, fashion-mnist or mnist"
        )
    num_classes = len(train_set.classes)
    if config.limit:  # a quick run on the first examples (the test set shrinks in proportion)
        train_set = Subset(train_set, range(min(config.limit, len(train_set))))
        test_set = Subset(test_set, range(min(max(config.limit // 4, 1), len(test_set))))
    features, _ = train_set[0]
    return train_set, test_set, tuple(features.shape), num_classes


def feature_statistics(dataset, batch_size=4096):
    """Per-feature mean and standard deviation of a dataset's inputs (for standardizing)."""
    features = numpy.concatenate([x.numpy() for x, _ in DataLoader(dataset, batch_size)])
    mean = features.mean(axis=0)
    std = features.std(axis=0) + 1e-2  # constant pixels (digits' borders) must not blow up
    return from_numpy(mean.astype(numpy.float32)), from_numpy(std.astype(numpy.float32))


def pixel_statistics(dataset, batch_size=4096):
    """One mean and standard deviation over all of a dataset's input values, each shape (1,)."""
    features = numpy.concatenate([x.numpy().ravel() for x, _ in DataLoader(dataset, batch_size)])
    mean, std = features.mean(dtype=numpy.float64), features.std(dtype=numpy.float64) + 1e-6
    return (
        from_numpy(numpy.array([mean], numpy.float32)),
        from_numpy(numpy.array([std], numpy.float32)),
    )


def _model(config, input_shape, num_classes, train_set=None):
    """The configured model; an MLP standardizes with ``train_set``'s statistics (a checkpoint
    being loaded brings its own, so none are computed then)."""
    if config.model == "lenet":  # one scalar mean/std, so convolutions see every pixel alike
        mean = std = None
        if train_set is not None:
            mean, std = pixel_statistics(train_set)
        return models.build("lenet", input_shape, num_classes, mean=mean, std=std)
    if config.model != "mlp":
        return models.build(config.model, input_shape, num_classes)
    mean = std = None
    if train_set is not None:
        mean, std = feature_statistics(train_set)
    return models.build(
        "mlp",
        input_shape,
        num_classes,
        hidden=config.hidden,
        dropout=config.dropout,
        mean=mean,
        std=std,
    )


def make_optimizer(config, parameters):
    name = config.optimizer.lower()
    if name == "sgd":
        return optim.SGD(
            parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
    if name == "adam":
        return optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    if name == "adamw":
        return optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay or 0.01)
    if name == "rmsprop":
        return optim.RMSprop(
            parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
    if name == "adagrad":
        return optim.Adagrad(parameters, lr=config.lr, weight_decay=config.weight_decay)
    raise ValueError(
        f"unknown optimizer '{config.optimizer}': choose sgd, adam, adamw, rmsprop or adagrad"
    )


def make_schedule(config, optimizer):
    if config.schedule == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    if config.schedule == "step":
        return optim.lr_scheduler.StepLR(optimizer, step_size=max(config.epochs // 3, 1), gamma=0.1)
    if config.schedule in ("none", "constant"):
        return None
    raise ValueError(f"unknown schedule '{config.schedule}': choose cosine, step or none")


def confusion_matrix(labels, predictions, num_classes):
    """``matrix[true, predicted]`` counts."""
    flat = labels.astype(numpy.int64) * num_classes + predictions.astype(numpy.int64)
    return numpy.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def evaluate(model, loader, num_classes, loss_fn=None):
    """Mean loss, accuracy and confusion matrix of ``model`` on ``loader``."""
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    model.eval()
    total_loss, labels, predictions = 0.0, [], []
    with no_grad():
        for features, target in loader:
            logits = model(features)
            total_loss += loss_fn(logits, target).item() * len(target)
            labels.append(target.numpy())
            predictions.append(logits.argmax(dim=1).numpy())
    model.train()
    labels, predictions = numpy.concatenate(labels), numpy.concatenate(predictions)
    accuracy = float((labels == predictions).mean())
    return total_loss / len(labels), accuracy, confusion_matrix(labels, predictions, num_classes)


def _progress(iterable, enabled, description):
    if not enabled:
        return None, iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is an optional extra: fall back to per-epoch lines only
        return None, iterable
    bar = tqdm(iterable, desc=description, leave=False, unit="batch", dynamic_ncols=True)
    return bar, bar


def _checkpoint(path, model, optimizer, schedule, config, epoch, history):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict() if schedule is not None else {},
            "config": dataclasses.asdict(config),
            "epoch": epoch,
            "history": history,
        },
        path,
    )


def plot_history(history, path):
    """Loss and accuracy curves as a PNG (needs matplotlib); returns the path or None."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    epochs = [h["epoch"] for h in history]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("train_loss", "train"), ("test_loss", "test")):
        left.plot(epochs, [h[key] for h in history], marker="o", label=label)
    for key, label in (("train_accuracy", "train"), ("test_accuracy", "test")):
        right.plot(epochs, [100 * h[key] for h in history], marker="o", label=label)
    left.set(title="loss", xlabel="epoch")
    right.set(title="accuracy (%)", xlabel="epoch")
    left.legend()
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def train(config, resume=None, progress=True, out=print, grad_flow=False):
    """Train as ``config`` says (or continue the checkpoint ``resume``); returns a summary."""
    state = None
    if resume is not None:
        state = load_checkpoint(resume)
        saved = Config.from_dict(state["config"])
        saved.epochs, saved.out = config.epochs, config.out
        config = saved
    manual_seed(config.seed)
    train_set, test_set, input_shape, num_classes = load_data(config)
    model = _model(config, input_shape, num_classes, train_set)
    optimizer = make_optimizer(config, model.parameters())
    schedule = make_schedule(config, optimizer)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    history, start = [], 1
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if schedule is not None and state["schedule"]:
            schedule.load_state_dict(state["schedule"])
        history, start = list(state["history"]), int(state["epoch"]) + 1
        out(f"resuming from {resume} at epoch {start}")
    generator = Generator().manual_seed(config.seed + start)
    train_loader = DataLoader(
        train_set, batch_size=config.batch_size, shuffle=True, generator=generator
    )
    test_loader = DataLoader(test_set, batch_size=512)
    checkpoint = os.path.join(config.out, "checkpoint.safetensors")
    flow = None
    if grad_flow:
        from .viz import grad_flow as make_grad_flow

        flow = make_grad_flow(model)
    out(
        f"training {config.model} on {config.dataset}: {len(train_set)} train / {len(test_set)} "
        f"test examples, {sum(p.numel() for p in model.parameters())} parameters, "
        f"{config.optimizer} lr {config.lr}, {config.epochs} "
        f"epoch{'s' if config.epochs != 1 else ''}"
    )
    completed = start - 1  # the last epoch whose results are in ``history``
    try:
        for epoch in range(start, config.epochs + 1):
            began = time.perf_counter()
            bar, batches = _progress(train_loader, progress, f"epoch {epoch}/{config.epochs}")
            seen = correct = 0
            running = 0.0
            for features, target in batches:
                logits = model(features)
                loss = loss_fn(logits, target)
                optimizer.zero_grad()
                loss.backward()
                if flow is not None:
                    flow.record()
                optimizer.step()
                n = len(target)
                seen += n
                running += loss.item() * n
                correct += int((logits.argmax(dim=1) == target).sum().item())
                if bar is not None:
                    bar.set_postfix(
                        loss=f"{running / seen:.4f}", acc=f"{100 * correct / seen:.1f}%"
                    )
            if bar is not None:
                bar.close()
            if schedule is not None:
                schedule.step()
            test_loss, test_accuracy, _ = evaluate(model, test_loader, num_classes, loss_fn)
            history.append(
                {
                    "epoch": epoch,
                    "train_loss": running / seen,
                    "train_accuracy": correct / seen,
                    "test_loss": test_loss,
                    "test_accuracy": test_accuracy,
                    "seconds": time.perf_counter() - began,
                }
            )
            completed = epoch
            out(
                f"epoch {epoch:>3}/{config.epochs}  train loss {running / seen:.4f} "
                f"acc {100 * correct / seen:5.1f}%  |  test loss {test_loss:.4f} "
                f"acc {100 * test_accuracy:5.1f}%  ({time.perf_counter() - began:.1f}s)"
            )
    except KeyboardInterrupt:
        # The weights keep the interrupted epoch's updates; resuming runs that epoch again.
        _checkpoint(checkpoint, model, optimizer, schedule, config, completed, history)
        out(
            f"\ninterrupted: saved {checkpoint}; continue with "
            f"`ember train --resume {checkpoint} --epochs {config.epochs}`"
        )
        raise
    _checkpoint(checkpoint, model, optimizer, schedule, config, completed, history)
    with open(os.path.join(config.out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)
    picture = plot_history(history, os.path.join(config.out, "curves.png")) if history else None
    if flow is not None:
        flow.plot(os.path.join(config.out, "grad_flow.png"))
    final = history[-1]["test_accuracy"] if history else float("nan")
    out(f"saved {checkpoint}" + (f" and {picture}" if picture else ""))
    out(f"test accuracy: {100 * final:.1f}%")
    return {
        "config": config,
        "history": history,
        "test_accuracy": final,
        "checkpoint": checkpoint,
        "model": model,
    }


def load_checkpoint(path):
    """The state :func:`train` saved in ``path``, or a ValueError saying what the file is not."""
    state = load(path)
    missing = [key for key in CHECKPOINT_KEYS if not isinstance(state, dict) or key not in state]
    if missing:
        hint = ""
        if isinstance(state, dict) and {"options", "chars"} <= set(state):
            hint = "; it is a character model: sample from it with `ember generate`"
        raise ValueError(
            f"{path} is not a checkpoint written by `ember train` (it lacks "
            f"{', '.join(missing)}){hint}"
        )
    return state


def evaluate_checkpoint(path, out=print, root=None):
    """Reload a checkpoint, report its test accuracy and confusion matrix."""
    state = load_checkpoint(path)
    config = Config.from_dict(state["config"])
    if root is not None:
        config.root = root
    _, test_set, input_shape, num_classes = load_data(config)
    model = _model(config, input_shape, num_classes)
    model.load_state_dict(state["model"])
    loss, accuracy, matrix = evaluate(model, DataLoader(test_set, batch_size=512), num_classes)
    out(f"{config.model} on {config.dataset} (epoch {state['epoch']}): test loss {loss:.4f}")
    out("confusion matrix (rows: true class, columns: predicted):")
    width = max(len(str(matrix.max())), 3)
    out("      " + " ".join(f"{c:>{width}}" for c in range(num_classes)))
    for c, row in enumerate(matrix):
        out(f"  {c:>3} " + " ".join(f"{v:>{width}}" for v in row))
    out(f"test accuracy: {100 * accuracy:.1f}%")
    return {"accuracy": accuracy, "loss": loss, "confusion": matrix}
