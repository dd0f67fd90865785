"""Train LeNet-5 from nets/lenet.net on scikit-learn's handwritten digits.

The network is compiled from its .net description with `to_torch()` and then
trained like any other nn.Module: no download (the 1,797 8×8 digits ship with
scikit-learn), bilinearly resized to LeNet's 32×32 input, 75% train / 25% test.

    python examples/train_digits.py                 # ≈ 98% test accuracy in seconds
    python examples/train_digits.py --device cuda   # on a GPU when there is one
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

import netdsl

LENET = Path(__file__).resolve().parents[1] / "nets" / "lenet.net"


def digits(seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """Train and test sets: 1×32×32 images (standardised on the train set), labels 0–9."""
    data = load_digits()
    images = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1)
    images = F.interpolate(images, size=(32, 32), mode="bilinear", align_corners=False)
    labels = torch.tensor(data.target)
    x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=0.25, random_state=seed,
                                                        stratify=labels)
    mean, std = x_train.mean(), x_train.std()
    return TensorDataset((x_train - mean) / std, y_train), TensorDataset((x_test - mean) / std, y_test)


def lenet(seed: int = 0) -> torch.nn.Module:
    """LeNet-5 compiled from its .net file, with seeded PyTorch-default initial weights."""
    return netdsl.load(LENET).to_torch(seed=seed)


def train_epoch(model: torch.nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                device: str, progress: Progress | None = None, description: str = "",
                max_steps: int | None = None) -> float:
    """One pass over `loader`; returns the mean training loss."""
    model.train()
    total, count = 0.0, 0
    task = progress.add_task(description, total=len(loader)) if progress else None
    for step, (x, y) in enumerate(loader):
        if max_steps is not None and step >= max_steps:
            break
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total, count = total + loss.item() * len(y), count + len(y)
        if progress:
            progress.update(task, advance=1, description=f"{description} loss {total / count:.3f}")
    return total / max(count, 1)


@torch.no_grad()
def accuracy(model: torch.nn.Module, data: TensorDataset, device: str) -> float:
    model.eval()
    x, y = data.tensors
    return (model(x.to(device)).argmax(1) == y.to(device)).float().mean().item()


def optimizer_for(model: torch.nn.Module, lr: float, epochs: int):
    """Adam with a cosine decay to zero over the run: the last epochs settle instead of bouncing."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)


def progress_bar(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                        help="cpu or cuda (default: cuda when there is one)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads (default 1: LeNet's layers are too small to split across threads)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Trains and reports; returns the losses per epoch, test accuracy and wall time."""
    args = parse_args(argv)
    start = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, test = digits(args.seed)
    model = lenet(args.seed).to(args.device)
    optimizer, schedule = optimizer_for(model, args.lr, args.epochs)
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True)
    console, losses = Console(), []
    for epoch in range(1, args.epochs + 1):
        with progress_bar(console) as progress:
            losses.append(train_epoch(model, loader, optimizer, args.device, progress, f"epoch {epoch}"))
        schedule.step()
        console.print(f"epoch {epoch:2d}  loss {losses[-1]:.4f}  test accuracy {accuracy(model, test, args.device):.2%}")
    result = {"losses": losses, "accuracy": accuracy(model, test, args.device),
              "seconds": time.perf_counter() - start}
    console.print(f"LeNet-5 ({sum(p.numel() for p in model.parameters()):,} parameters) on {len(test)} test digits: "
                  f"[bold]{result['accuracy']:.2%}[/] accuracy, {result['seconds']:.1f} s on {args.device}")
    return result


if __name__ == "__main__":
    main()
