"""The ``ember`` command (also ``python -m ember``): train, eval, generate, demo."""

import argparse
import sys

import ember

__all__ = ["main"]


def _widths(text):
    """``256,256`` -> (256, 256); an empty string is no hidden layer (a linear model)."""
    try:
        widths = tuple(int(w) for w in text.split(",") if w.strip())
    except ValueError:
        widths = (0,)
    if any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive widths like 256,256, got '{text}'"
        )
    return widths


def _at_least(minimum, kind=int):
    """An argparse type: a number (``kind``) no smaller than ``minimum``."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got '{text}'") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value

    parse.__name__ = kind.__name__  # what argparse names in its "invalid ... value" errors
    return parse


def _parser():
    parser = argparse.ArgumentParser(
        prog="ember", description="ember: backpropagation you can see, teach, check and run."
    )
    parser.add_argument("--version", action="version", version=f"ember {ember.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train a classifier (default: an MLP on digits)",
        description="Train a model with a progress bar; save a checkpoint, "
        "the history and (with matplotlib) loss/accuracy "
        "curves.",
    )
    train.add_argument(
        "--dataset",
        default="digits",
        choices=["digits", "fashion-mnist", "mnist"],
        help="what to classify (default: digits, scikit-learn's bundled 8x8 digits)",
    )
    train.add_argument(
        "--root", default=None, help="folder with the IDX .gz files (fashion-mnist, mnist)"
    )
    train.add_argument(
        "--model",
        default="mlp",
        choices=["mlp", "lenet"],  # ember.models.MODELS, named here to keep --help quick
        help="mlp, or lenet (a CNN for the 28x28 images of fashion-mnist and mnist) (default: mlp)",
    )
    train.add_argument(
        "--hidden",
        type=_widths,
        default=(256, 256),
        help="MLP hidden widths, comma-separated; '' for none (default: 256,256)",
    )
    train.add_argument(
        "--dropout", type=float, default=0.0, help="MLP dropout probability (default: 0)"
    )
    train.add_argument(
        "--epochs",
        type=_at_least(1),
        default=None,
        help="epochs (default: 20 on digits, 10 otherwise)",
    )
    train.add_argument(
        "--batch-size",
        type=_at_least(1),
        default=None,
        help="batch size (default: 32 on digits, 64 otherwise)",
    )
    train.add_argument(
        "--optimizer",
        default="sgd",
        choices=["sgd", "adam", "adamw", "rmsprop", "adagrad"],
        help="(default: sgd)",
    )
    train.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate (default: 0.05 for sgd, 0.001 otherwise)",
    )
    train.add_argument(
        "--momentum", type=float, default=0.9, help="sgd and rmsprop momentum (default: 0.9)"
    )
    train.add_argument(
        "--weight-decay", type=float, default=0.0, help="(default: 0; 0.01 for adamw)"
    )
    train.add_argument(
        "--schedule",
        default="cosine",
        choices=["cosine", "step", "none"],
        help="learning-rate schedule over the epochs (default: cosine)",
    )
    train.add_argument(
        "--label-smoothing",
        type=float,
        default=0.1,
        help="cross-entropy label smoothing (default: 0.1)",
    )
    train.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    train.add_argument("--out", default="runs/ember", help="output folder (default: runs/ember)")
    train.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        default=None,
        help="continue training from a checkpoint, with its saved settings "
        "(only --epochs and --out apply)",
    )
    train.add_argument(
        "--limit",
        type=_at_least(1),
        default=None,
        metavar="N",
        help="use only the first N training examples (and N/4 test examples)",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument(
        "--grad-flow",
        action="store_true",
        help="record per-parameter gradient norms and save grad_flow.png",
    )

    evaluate = commands.add_parser(
        "eval",
        help="evaluate a checkpoint",
        description="Reload a checkpoint; report test accuracy and the confusion matrix.",
    )
    evaluate.add_argument("checkpoint", help="a checkpoint.safetensors written by ember train")
    evaluate.add_argument("--root", default=None, help="dataset folder, if it moved")

    generate = commands.add_parser(
        "generate",
        help="sample text from a character model",
        description="Sample text from a checkpoint written by examples/char_transformer.py.",
    )
    generate.add_argument("checkpoint", help="a checkpoint written by examples/char_transformer.py")
    generate.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    generate.add_argument(
        "--length", type=_at_least(0), default=500, help="characters to generate (default: 500)"
    )
    generate.add_argument(
        "--temperature",
        type=_at_least(0.0, float),
        default=0.8,
        help="softmax temperature; 0 always picks the likeliest character (default: 0.8)",
    )
    generate.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")

    demo = commands.add_parser(
        "demo",
        help="run the seeds' examples and print their numbers",
        description="Seed 001's Linear(2,3) protocol gradients, seed 003's "
        "gradient-argument sequence, seed 004's two-layer net "
        "(hand-written and autograd side by side).",
    )
    demo.add_argument(
        "--explain",
        action="store_true",
        help="also draw seed 004's graph and explain its backward pass",
    )
    demo.add_argument("--out", default=".", help="where --explain writes its drawing (default: .)")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "train":
            return _train(args)
        if args.command == "eval":
            from .trainer import evaluate_checkpoint

            evaluate_checkpoint(args.checkpoint, root=args.root)
            return 0
        if args.command == "generate":
            return _generate(args)
        if args.command == "demo":
            from .demo import run

            run(explain=args.explain, output_dir=args.out)
            return 0
    except KeyboardInterrupt:
        return 130
    except (OSError, ImportError, ValueError, RuntimeError) as error:
        print(f"ember {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


def _train(args):
    from .trainer import Config, train

    digits = args.dataset == "digits"
    config = Config(
        dataset=args.dataset,
        root=args.root,
        model=args.model,
        hidden=args.hidden,
        dropout=args.dropout,
        epochs=args.epochs or (20 if digits else 10),
        batch_size=args.batch_size or (32 if digits else 64),
        optimizer=args.optimizer,
        lr=args.lr if args.lr is not None else (0.05 if args.optimizer == "sgd" else 1e-3),
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        label_smoothing=args.label_smoothing,
        seed=args.seed,
        out=args.out,
        limit=args.limit,
    )
    train(config, resume=args.resume, progress=not args.no_progress, grad_flow=args.grad_flow)
    return 0


def _generate(args):
    from .language_models import load_char_model, sample
    from .random import Generator

    model, vocab = load_char_model(args.checkpoint)
    ids = sample(
        model,
        vocab.encode(args.prompt),
        args.length,
        temperature=args.temperature,
        generator=Generator().manual_seed(args.seed),
    )
    print(args.prompt + vocab.decode(ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
