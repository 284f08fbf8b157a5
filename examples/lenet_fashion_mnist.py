"""Train a LeNet-style CNN on Fashion-MNIST with ember's public API.

About 90% test accuracy after 8 epochs; roughly 15-25 s an epoch on one CPU core.

    OPENBLAS_NUM_THREADS=1 python examples/lenet_fashion_mnist.py --epochs 8

Needs the IDX files of Debian's ``dataset-fashion-mnist`` (or ``--root``). ``ember train
--dataset fashion-mnist --model lenet`` trains the same model with checkpoints and resuming.
"""

import argparse
import time

import ember
from ember import nn, optim
from ember.data import DataLoader
from ember.models import lenet

try:
    from tqdm import tqdm
except ImportError:  # progress bars are optional

    def tqdm(iterable, **_):
        return iterable


def accuracy(model, loader):
    model.eval()
    correct = total = 0
    with ember.no_grad():
        for images, labels in loader:
            correct += int((model(images).argmax(dim=1) == labels).sum().item())
            total += len(labels)
    model.train()
    return correct / total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8, help="(default: 8)")
    parser.add_argument("--root", default=None, help="folder with the Fashion-MNIST IDX files")
    parser.add_argument(
        "--out",
        default="lenet_fashion_mnist.safetensors",
        help="where to save the model's state_dict (default: lenet_fashion_mnist.safetensors)",
    )
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")

    ember.manual_seed(0)
    try:
        train_set = ember.datasets.fashion_mnist(args.root, train=True)
        test_set = ember.datasets.fashion_mnist(args.root, train=False)
    except FileNotFoundError as missing:
        raise SystemExit(f"error: {missing}") from None
    pixels = train_set.tensors[0]
    model = lenet((28, 28), 10, mean=pixels.mean().reshape(1), std=pixels.std().reshape(1))

    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=512)

    for epoch in range(1, args.epochs + 1):
        began = time.perf_counter()
        for images, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False):
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
        print(
            f"epoch {epoch}: test accuracy {100 * accuracy(model, test_loader):.1f}% "
            f"({time.perf_counter() - began:.0f}s)"
        )
    ember.save(model.state_dict(), args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
