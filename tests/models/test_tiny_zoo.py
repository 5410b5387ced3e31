"""The tiny model zoo: every family builds offline, its processor expands the placeholders into
exactly the tokens the model consumes, every medium reaches the LM, and save/reload round-trips."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pytest
import torch
from transformers import AutoModelForMultimodalLM
from transformers.utils import is_timm_available

from senseslens.errors import InputError
from senseslens.testing.tiny import (
    TINY_FAMILIES,
    TinyModel,
    build_tiny,
    load_tiny_processor,
    placeholder_token_ids,
    save_tiny,
    tiny_recipe,
)

torch.set_num_threads(1)

QUESTION = "Is the dog barking in the video? (A) yes (B) no. Answer with A, B, C, D, E or F."


def _needs(name: str) -> None:
    if name == "gemma3n" and not (importlib.util.find_spec("timm") and is_timm_available()):
        pytest.skip(
            "gemma3n: its vision tower is a timm MobileNet-v5; transformers uses timm only when timm is "
            "installed and torchvision imports (absent here); see docs/tiny_models.md"
        )


@functools.lru_cache(maxsize=None)
def _tiny(name: str) -> TinyModel:
    return build_tiny(name, seed=0)


@pytest.fixture(params=TINY_FAMILIES)
def tiny(request) -> TinyModel:
    _needs(request.param)
    return _tiny(request.param)


def _forward_module(tiny: TinyModel) -> torch.nn.Module:
    """The full Omni models have no forward of their own: run the thinker."""
    return getattr(tiny.model, "thinker", tiny.model)


def _prompt(tiny: TinyModel, media: tuple[str, ...]) -> str:
    content = [{"type": tiny.chat_content_types[m]} for m in media] + [{"type": "text", "text": QUESTION}]
    messages = [{"role": "user", "content": content}]
    return tiny.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def _encode(tiny: TinyModel, media: dict, texts: list[str] | None = None):
    texts = texts or [_prompt(tiny, tuple(media))]
    # images nested per prompt (required by Gemma 3 / SmolVLM batches); videos and audio flat
    kwargs = {
        tiny.media_kwargs[m]: [[value] for _ in texts] if m == "image" else [value] * len(texts)
        for m, value in media.items()
    }
    return tiny.processor(text=texts, return_tensors="pt", padding=True, **kwargs)


def _last_logits(tiny: TinyModel, inputs) -> torch.Tensor:
    with torch.no_grad():
        return _forward_module(tiny)(**inputs).logits[:, -1].float()


def _placeholder_ids(tiny: TinyModel, medium: str) -> int:
    return placeholder_token_ids(tiny)[medium]


# --------------------------------------------------------------------------- registry & build
def test_registry_lists_every_family():
    expected = {
        "qwen2_5_omni_thinker", "qwen2_5_omni", "qwen3_omni_moe_thinker", "qwen3_omni_moe", "qwen2_vl",
        "qwen2_5_vl", "qwen3_vl", "llava", "llava_onevision", "idefics3", "smolvlm", "gemma3", "gemma3n",
        "phi4_multimodal", "qwen2_audio",
    }
    assert set(TINY_FAMILIES) == expected
    with pytest.raises(InputError, match="unknown tiny family"):
        build_tiny("not_a_family")


def test_build_is_tiny_float32_eval_and_seeded(tiny):
    model = tiny.model
    assert not model.training
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    text = model.config.get_text_config()
    assert text.hidden_size == 64 and text.num_hidden_layers == 2
    assert 256 <= text.vocab_size <= 512 and len(tiny.processor.tokenizer) == text.vocab_size
    assert set(tiny.modalities) <= {"image", "video", "audio"} and tiny.modalities
    again = build_tiny(tiny.name, seed=0).model.state_dict()
    other = build_tiny(tiny.name, seed=1).model.state_dict()
    first = next(k for k, v in again.items() if v.is_floating_point() and v.std() > 0)
    assert torch.equal(model.state_dict()[first], again[first])
    assert not torch.equal(model.state_dict()[first], other[first])


def test_sample_media_shapes_and_determinism(tiny):
    media = tiny.sample_media(3)
    assert set(media) == set(tiny.modalities)
    if "image" in media:
        assert media["image"].dtype == np.uint8 and media["image"].ndim == 3 and media["image"].shape[2] == 3
    if "video" in media:
        assert media["video"].dtype == np.uint8 and media["video"].ndim == 4
    if "audio" in media:
        assert media["audio"].dtype == np.float32 and media["audio"].ndim == 1 and np.abs(media["audio"]).max() > 0
    again, other = tiny.sample_media(3), tiny.sample_media(4)
    for m in media:
        assert np.array_equal(media[m], again[m]) and not np.array_equal(media[m], other[m])


# --------------------------------------------------------------------------- tokenizer
def test_tokenizer_letters_punctuation_offsets(tiny):
    tok = tiny.processor.tokenizer
    assert tok.is_fast
    unk = tok.unk_token_id
    letters = [tok.convert_tokens_to_ids(c) for c in "ABCDEF"]
    assert unk not in letters and len(set(letters)) == 6
    enc = tok("(A) zyxwvut A.", add_special_tokens=False, return_offsets_mapping=True)
    pieces = tok.convert_ids_to_tokens(enc["input_ids"])
    assert pieces == ["(", "A", ")", tok.unk_token, "A", "."]
    assert [tuple(o) for o in enc["offset_mapping"]][:3] == [(0, 1), (1, 2), (2, 3)]


# --------------------------------------------------------------------------- chat + expansion
def test_chat_template_places_media_before_text_and_prompts_assistant(tiny):
    text = _prompt(tiny, tiny.modalities)
    assert text.count(QUESTION) == 1
    for medium in tiny.modalities:
        placeholder = getattr(tiny.processor, f"{medium}_token")
        at = text.find(placeholder)
        assert 0 <= at < text.find(QUESTION), f"{medium} placeholder must precede the user text"
    content = [{"type": tiny.chat_content_types[m]} for m in tiny.modalities] + [{"type": "text", "text": QUESTION}]
    closed = tiny.processor.apply_chat_template(
        [{"role": "user", "content": content}], add_generation_prompt=False, tokenize=False
    )
    assert text.startswith(closed) and len(text) > len(closed), "generation prompt must be appended after the turn"


def test_processor_expands_each_placeholder_into_a_run(tiny):
    media = tiny.sample_media(0)
    inputs = _encode(tiny, media)
    ids = inputs["input_ids"][0]
    for medium in tiny.modalities:
        n = int((ids == _placeholder_ids(tiny, medium)).sum())
        assert n > 1, f"{medium}: expected the placeholder expanded into several tokens, got {n}"


# --------------------------------------------------------------------------- forward
def test_forward_consumes_every_placeholder_and_each_medium_reaches_the_lm(tiny):
    media = tiny.sample_media(0)
    logits = _last_logits(tiny, _encode(tiny, media))
    assert logits.shape == (1, tiny.model.config.get_text_config().vocab_size)
    assert torch.isfinite(logits).all()
    for medium in tiny.modalities:
        changed = dict(media, **{medium: tiny.sample_media(1)[medium]})
        delta = (_last_logits(tiny, _encode(tiny, changed)) - logits).abs().max().item()
        assert delta > 1e-4, f"changing the {medium} left the logits unchanged: it does not reach the LM"


def test_one_placeholder_too_few_is_rejected(tiny):
    """A prompt whose placeholder run is one token short must not silently run."""
    media = tiny.sample_media(0)
    inputs = dict(_encode(tiny, media))
    medium = tiny.modalities[0]
    ids = inputs["input_ids"][0]
    drop = int(torch.nonzero(ids == _placeholder_ids(tiny, medium))[0, 0])
    keep = torch.ones_like(ids, dtype=torch.bool)
    keep[drop] = False
    for key in ("input_ids", "attention_mask", "token_type_ids", "mm_token_type_ids"):
        if key in inputs:
            inputs[key] = inputs[key][:, keep]
    with pytest.raises(Exception), torch.no_grad():
        _forward_module(tiny)(**inputs)


def test_batch_of_two_with_left_padding(tiny):
    media = tiny.sample_media(0)
    long_text = _prompt(tiny, tuple(media))
    short = long_text.replace(QUESTION, "A?")
    inputs = _encode(tiny, media, texts=[long_text, short])
    assert inputs["attention_mask"][1, 0] == 0 and inputs["attention_mask"][:, -1].all()
    logits = _last_logits(tiny, inputs)
    single = _last_logits(tiny, _encode(tiny, media, texts=[long_text]))
    assert torch.allclose(logits[0], single[0], atol=1e-4)


# --------------------------------------------------------------------------- save / reload
def test_save_and_reload_offline(tiny, tmp_path):
    media = tiny.sample_media(0)
    original = _encode(tiny, media)  # a padded call first: its state must not leak into the saved tokenizer
    path = save_tiny(tiny, tmp_path / tiny.name)
    assert json.loads((path / "tokenizer.json").read_text())["padding"] is None
    model = AutoModelForMultimodalLM.from_pretrained(path).eval()
    assert type(model) is type(tiny.model)
    processor = load_tiny_processor(path)
    assert type(processor) is type(tiny.processor)
    text = _prompt(tiny, tuple(media))
    assert processor.apply_chat_template(
        [{"role": "user", "content": [{"type": tiny.chat_content_types[m]} for m in media]
          + [{"type": "text", "text": QUESTION}]}],
        add_generation_prompt=True, tokenize=False,
    ) == text
    reloaded = _encode(dataclasses.replace(tiny, processor=processor), media)
    assert torch.equal(original["input_ids"], reloaded["input_ids"])
    with torch.no_grad():
        again = getattr(model, "thinker", model)(**reloaded).logits[:, -1]
    assert torch.allclose(again, _last_logits(tiny, original), atol=1e-5)


def test_recipe_exposes_model_class(tiny):
    assert type(tiny.model) is tiny_recipe(tiny.name).model_class
