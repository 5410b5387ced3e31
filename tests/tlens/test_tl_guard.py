"""TransformerLens must never install packages or change the environment."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import torch

import senseslens as sl
from senseslens.errors import UnsupportedArchitectureError
from senseslens.models.backends import tl_guard
from senseslens.models.backends.tl_guard import MissingPackageError, installed_distributions, no_package_installs
from senseslens.testing.tiny import build_tiny

pytest.importorskip("transformer_lens")

HELPERS = "transformer_lens.model_bridge.sources.transformers.helpers"


@pytest.fixture
def subprocess_calls(monkeypatch):
    """Record every subprocess start; an installer call fails the test on the spot."""
    calls: list = []
    real = subprocess.Popen

    def watch(args, *rest, **kwargs):
        calls.append(args)
        if tl_guard.is_install_command(args):
            pytest.fail(f"a package install was started: {args}")
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", watch)
    return calls


def test_tl_guard_refuses_installer_commands(subprocess_calls):
    with no_package_installs():
        with pytest.raises(MissingPackageError, match="does not let libraries change your environment"):
            subprocess.check_call([sys.executable, "-m", "pip", "install", "torchvision", "-q"])
        with pytest.raises(MissingPackageError):
            subprocess.run("uv pip install torchvision", shell=True)
        subprocess.check_call([sys.executable, "-c", "pass"])  # anything else runs
    assert subprocess_calls == [[sys.executable, "-c", "pass"]]


def test_tl_guard_swaps_the_auto_install_helper_and_restores_it():
    import importlib

    helpers = importlib.import_module(HELPERS)
    original = helpers._ensure_torchvision
    original_popen = subprocess.Popen
    with no_package_installs():
        assert helpers._ensure_torchvision is not original
        if importlib.util.find_spec("torchvision") is None:
            with pytest.raises(MissingPackageError, match="torchvision"):
                helpers._ensure_torchvision()
    assert helpers._ensure_torchvision is original and subprocess.Popen is original_popen


def test_tl_raw_boot_without_a_processor_fails_cleanly_and_installs_nothing(subprocess_calls):
    """TransformerLens' own path: no processor to find -> its torchvision auto-install -> refused."""
    pytest.importorskip("transformer_lens")
    import importlib.util

    from transformer_lens.model_bridge import TransformerBridge
    import transformer_lens.model_bridge.sources.transformers  # noqa: F401

    if importlib.util.find_spec("torchvision") is not None:
        pytest.skip("torchvision is installed, so TransformerLens has nothing to install")
    before = installed_distributions()
    t = build_tiny("llava")
    tok = copy.deepcopy(t.processor.tokenizer)
    tok.init_kwargs.setdefault("name_or_path", "")
    tok.init_kwargs["add_bos_token"] = True
    with no_package_installs(), pytest.raises(MissingPackageError, match="torchvision"):
        TransformerBridge.boot_transformers(
            "no-such-dir/tiny-llava",
            hf_model=t.model,
            tokenizer=tok,
            device="cpu",
            hf_config_overrides={"architectures": ["LlavaForConditionalGeneration"]},
        )
    assert installed_distributions() == before
    assert subprocess_calls == []


def test_tl_load_without_a_processor_leaves_packages_unchanged(tmp_path, subprocess_calls):
    """sl.load(dir, processor=False, backend='transformer_lens'): tokenizer from disk, no processor, no installs."""
    before = installed_distributions()
    t = build_tiny("llava")
    t.model.save_pretrained(tmp_path)
    t.processor.tokenizer.save_pretrained(tmp_path)
    model = sl.load(tmp_path, processor=False, backend="transformer_lens")
    assert model.processor is None and model.backend.name == "transformer_lens"
    reference = sl.load(build_tiny("llava").model, t.processor)
    reference.root.set_attn_implementation(model.backend.attn_after)
    from tests.models._zoo import prompt

    batch = reference.encode([prompt("llava", 0)])
    torch.testing.assert_close(model.run(batch).logits, reference.run(batch).logits, rtol=0, atol=1e-6)
    assert installed_distributions() == before
    assert subprocess_calls == []


def test_tl_unsupported_architecture_names_the_nnsight_backend():
    from senseslens.models.backends.tl_backend import boot_bridge

    phi4 = build_tiny("phi4_multimodal")
    with pytest.raises(UnsupportedArchitectureError, match="Phi-4-multimodal.*nnsight"):
        sl.load(phi4.model, phi4.processor, backend="transformer_lens")

    class MadeUpForConditionalGeneration(torch.nn.Module):
        pass

    with pytest.raises(UnsupportedArchitectureError, match="nnsight"):
        boot_bridge(MadeUpForConditionalGeneration(), tokenizer=None)


def test_tl_tables_are_restored_after_boot():
    from transformer_lens.factories import architecture_adapter_factory as f

    from tests.tlens._tl_pairs import pair

    pair("qwen2_vl")
    assert "Qwen2VLForConditionalGeneration" not in f.SUPPORTED_ARCHITECTURES
    assert "Qwen2VLForConditionalGeneration" not in f.ArchitectureAdapterFactory._adapters
    assert f.SUPPORTED_ARCHITECTURES["Qwen2_5_VLForConditionalGeneration"].__name__ == "Qwen2_5_VLArchitectureAdapter"
