"""Loading from disk: offline, no installs, clear errors, CLI table."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import torch

import senseslens as sl
from senseslens.errors import ProcessorNotFoundError
from senseslens.testing.tiny import load_tiny_processor, save_tiny

from ._zoo import prompt, tiny


@pytest.fixture
def no_network_no_installs(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("loading tried to reach the network or run a subprocess")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)


@pytest.mark.parametrize("family", ["llava", "qwen2_5_vl"])
def test_load_from_a_local_directory_offline_without_installs(family, tmp_path, no_network_no_installs):
    directory = save_tiny(tiny(family), tmp_path / "ckpt")
    # Qwen-VL processors need torchvision as shipped; the tiny zoo saves a subclass without the video processor
    processor = load_tiny_processor(directory) if family == "qwen2_5_vl" else None
    model = sl.load(directory, processor)
    assert model.spec.architecture == type(tiny(family).model).__name__
    batch = model.encode([prompt(family, 0)])
    reference = sl.load(tiny(family).model, tiny(family).processor)
    assert torch.equal(model.run(batch).logits, reference.run(batch).logits)


def test_dtype_passes_through(tmp_path):
    directory = save_tiny(tiny("llava"), tmp_path / "ckpt")
    model = sl.load(directory, dtype="bfloat16")
    assert model.dtype == torch.bfloat16


def test_missing_processor_offline_is_a_clear_error(tmp_path):
    tiny("llava").model.save_pretrained(tmp_path / "model_only")
    with pytest.raises(ProcessorNotFoundError, match="processor=") as err:
        sl.load(tmp_path / "model_only")
    assert "model_only" in str(err.value)
    model = sl.load(tmp_path / "model_only", processor=False)
    with pytest.raises(ProcessorNotFoundError, match="encode"):
        model.encode([prompt("llava", 0)])


def test_cli_lists_models():
    out = subprocess.check_output([sys.executable, "-m", "senseslens", "models"], text=True)
    assert "Qwen2_5OmniThinkerForConditionalGeneration" in out and "not run here" in out
    helptext = subprocess.check_output([sys.executable, "-m", "senseslens", "--help"], text=True)
    assert "models" in helptext
