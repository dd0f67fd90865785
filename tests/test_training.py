"""The compiled LeNet-5 trains like any nn.Module, alone and under DistributedDataParallel."""

from __future__ import annotations

import importlib

import pytest
import torch

from tests.conftest import EXAMPLES


@pytest.fixture
def examples(monkeypatch):
    """examples/ importable here and in the processes torch.multiprocessing spawns."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module


def test_short_training_run_learns(examples):
    result = examples("train_digits").main(["--epochs", "2", "--device", "cpu"])
    assert result["losses"][1] < 0.6 * result["losses"][0]
    assert result["accuracy"] > 0.6  # chance is 0.1


def test_ddp_replicas_hold_identical_weights(examples, tmp_path):
    train_ddp = examples("train_ddp")
    train_ddp.spawn(["--nproc", "2", "--epochs", "2", "--steps", "5", "--save", str(tmp_path)])
    first, second = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    initial = examples("train_digits").lenet(0).state_dict()
    assert first.keys() == second.keys() == initial.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not torch.equal(first["c1.weight"], initial["c1.weight"])  # they did train
