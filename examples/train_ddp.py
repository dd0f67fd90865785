"""Train LeNet-5 from nets/lenet.net under torch.distributed (DistributedDataParallel).

The compiled module is wrapped as it is: DDP needs nothing from netdsl. Each
process trains on its shard of the digits (DistributedSampler); gradients are
averaged across processes on every step, so the replicas stay identical.

    torchrun --nproc_per_node 2 examples/train_ddp.py    # 2 CPU processes (gloo)
    torchrun --nproc_per_node 4 examples/train_ddp.py --device cuda   # one GPU each (nccl)
    python examples/train_ddp.py --nproc 2               # the same, started with torch.multiprocessing
"""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from rich.console import Console
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from train_digits import accuracy, digits, lenet, optimizer_for, progress_bar, train_epoch


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=16, help="per process")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu (gloo) or cuda (nccl, one GPU per process)")
    parser.add_argument("--steps", type=int, default=None, help="stop each epoch after this many steps")
    parser.add_argument("--save", type=Path, default=None, help="write each replica's state_dict to DIR/rankN.pt")
    parser.add_argument("--nproc", type=int, default=2, help="processes to start when not run by torchrun")
    return parser.parse_args(argv)


def train(rank: int, world_size: int, args: argparse.Namespace) -> None:
    """One process: its shard of every epoch, gradients all-reduced by DDP."""
    cuda = args.device == "cuda"
    dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world_size)
    try:
        device = f"cuda:{rank % torch.cuda.device_count()}" if cuda else "cpu"
        torch.set_num_threads(1)
        torch.manual_seed(args.seed)
        train_set, test_set = digits(args.seed)
        sampler = DistributedSampler(train_set, world_size, rank, shuffle=True, seed=args.seed)
        loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
        model = DistributedDataParallel(lenet(args.seed).to(device), device_ids=[device] if cuda else None)
        optimizer, schedule = optimizer_for(model, args.lr, args.epochs)
        console = Console(quiet=rank != 0)
        for epoch in range(1, args.epochs + 1):
            sampler.set_epoch(epoch)
            with progress_bar(console) as progress:
                loss = train_epoch(model, loader, optimizer, device, progress, f"epoch {epoch}", args.steps)
            schedule.step()
            console.print(f"epoch {epoch:2d}  loss {loss:.4f} (rank 0's shard)  "
                          f"test accuracy {accuracy(model.module, test_set, device):.2%}")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            torch.save(model.module.state_dict(), args.save / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def spawn(argv: list[str] | None = None) -> None:
    """Starts --nproc processes on this machine, as torchrun would."""
    args = parse_args(argv)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    mp.spawn(train, args=(args.nproc, args), nprocs=args.nproc, join=True)


if __name__ == "__main__":
    if "LOCAL_RANK" in os.environ:  # started by torchrun, which set RANK, WORLD_SIZE, MASTER_*
        train(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), parse_args())
    else:
        spawn()
