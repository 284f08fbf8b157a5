"""The ``ember`` command (also ``python -m ember``): train, eval, generate, demo."""

import argparse
import sys

import ember

__all__ = ["main"]


def _widths(text):
    try:
        return tuple(int(w) for w in text.split(",") if w.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated widths like 256,256, got '{text}'"
        ) from None


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
    train.add_argument("--dataset", default="digits", choices=["digits", "fashion-mnist", "mnist"])
    train.add_argument(
        "--root", default=None, help="folder with the IDX .gz files (fashion-mnist, mnist)"
    )
    train.add_argument("--model", default="mlp", help="model name (default: mlp)")
    train.add_argument(
        "--hidden",
        type=_widths,
        default=(256, 256),
        help="MLP hidden widths, comma-separated (default: 256,256)",
    )
    train.add_argument("--dropout", type=float, default=0.0)
    train.add_argument(
        "--epochs", type=int, default=None, help="epochs (default: 20 on digits, 10 otherwise)"
    )
    train.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="batch size (default: 32 on digits, 64 otherwise)",
    )
    train.add_argument(
        "--optimizer", default="sgd", choices=["sgd", "adam", "adamw", "rmsprop", "adagrad"]
    )
    train.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate (default: 0.05 for sgd, 0.001 otherwise)",
    )
    train.add_argument("--momentum", type=float, default=0.9)
    train.add_argument("--weight-decay", type=float, default=0.0)
    train.add_argument("--schedule", default="cosine", choices=["cosine", "step", "none"])
    train.add_argument(
        "--label-smoothing",
        type=float,
        default=0.1,
        help="cross-entropy label smoothing (default: 0.1)",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="runs/ember", help="output folder (default: runs/ember)")
    train.add_argument(
        "--resume", metavar="CHECKPOINT", default=None, help="continue training from a checkpoint"
    )
    train.add_argument("--limit", type=int, default=None, help="use only N training examples")
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
    evaluate.add_argument("checkpoint")
    evaluate.add_argument("--root", default=None, help="dataset folder, if it moved")

    generate = commands.add_parser(
        "generate",
        help="sample text from a character model",
        description="Sample text from a checkpoint written by examples/char_transformer.py.",
    )
    generate.add_argument("checkpoint")
    generate.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    generate.add_argument("--length", type=int, default=500, help="characters to generate")
    generate.add_argument("--temperature", type=float, default=0.8)
    generate.add_argument("--seed", type=int, default=0)

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
    demo.add_argument("--out", default=".", help="where --explain writes its drawing")
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
    except (FileNotFoundError, ImportError, ValueError, RuntimeError) as error:
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
        lr=args.lr or (0.05 if args.optimizer == "sgd" else 1e-3),
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
