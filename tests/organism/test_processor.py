"""Organism processor and model: placeholder expansion, padding, missing media, save/load."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor

import senseslens.organism  # noqa: F401  (registers the Auto classes)
from senseslens.data.prompts import build_a1
from senseslens.data.synthetic import synthetic_imavb
from senseslens.errors import InputError
from senseslens.organism.build import build_organism
from senseslens.organism.train import chat_text


@pytest.fixture(scope="module")
def organism():
    return build_organism(seed=0)


@pytest.fixture(scope="module")
def items():
    return list(synthetic_imavb(3, seed=2))


def _msgs(text: str, image: bool = True, audio: bool = True):
    content = ([{"type": "image"}] if image else []) + ([{"type": "audio"}] if audio else [])
    return [{"role": "user", "content": [*content, {"type": "text", "text": text}]}]


def test_chat_template_and_expansion(organism, items):
    model, proc = organism
    texts = [proc.apply_chat_template(_msgs(build_a1(it).text), add_generation_prompt=True, tokenize=False)
             for it in items]
    assert texts[0].index("<image>") < texts[0].index("<audio>") < texts[0].index("Question:")
    enc = proc(text=texts, images=[it.image for it in items], audio=[it.waveform for it in items],
               return_tensors="pt", padding=True, padding_side="left")
    ids = enc["input_ids"]
    cfg = model.config
    assert int((ids == cfg.image_token_id).sum()) == enc["pixel_values"].shape[0] * cfg.image_tokens
    assert int((ids == cfg.audio_token_id).sum()) == enc["input_features"].shape[0] * cfg.audio_tokens
    feats = model.model.vision_tower(enc["pixel_values"])
    assert feats.shape[:2] == (len(items), cfg.image_tokens)
    assert model.model.audio_tower(enc["input_features"]).shape[:2] == (len(items), cfg.audio_tokens)
    out = model(**enc)
    assert out.logits.shape == (*ids.shape, cfg.vocab_size)
    assert proc.tokenizer.convert_ids_to_tokens(int(ids[0, -1])) == "<|assistant|>"
    for letter in "ABCDEF":
        assert proc.tokenizer.convert_tokens_to_ids(letter) != proc.tokenizer.unk_token_id


def test_offsets_and_mismatch_errors(organism, items):
    model, proc = organism
    text = chat_text(proc, build_a1(items[0]).text)
    enc = proc(text=[text], images=[items[0].image], audio=[items[0].waveform], return_offsets_mapping=True)
    assert enc["offset_mapping"].shape[:2] == enc["input_ids"].shape
    with pytest.raises(InputError):
        proc(text=[text], images=[items[0].image])           # <audio> without a waveform
    with pytest.raises(InputError):
        model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])   # features missing


def test_left_padding_and_missing_media(organism, items):
    model, proc = organism
    a, b = items[0], items[2]            # a vision item and an audio item (different lengths)
    single = model(**proc(text=[chat_text(proc, build_a1(a).text)], images=[a.image], audio=[a.waveform]))
    both = model(**proc(text=[chat_text(proc, build_a1(it).text) for it in (a, b)], images=[a.image, b.image],
                        audio=[a.waveform, b.waveform], padding=True, padding_side="left"))
    torch.testing.assert_close(single.logits[0, -1], both.logits[0, -1], atol=1e-5, rtol=1e-4)
    for image, audio in ((False, True), (True, False), (False, False)):
        text = chat_text(proc, build_a1(a).text, image=image, audio=audio)
        enc = proc(text=[text], images=[a.image] if image else None, audio=[a.waveform] if audio else None)
        assert ("pixel_values" in enc) == image and ("input_features" in enc) == audio
        assert torch.isfinite(model(**enc).logits).all()


def test_video_frames_and_upscaled_images_match(organism):
    _, proc = organism
    small = synthetic_imavb(1, seed=3)[0]
    big = synthetic_imavb(1, seed=3, image_scale=4, n_frames=2)[0]
    text = ["<image>"]
    px_small = proc(text=text, images=[small.image])["pixel_values"]
    px_video = proc(text=text, videos=[big.frames])["pixel_values"]
    torch.testing.assert_close(px_small, px_video)


def test_save_load_round_trip(organism, items, tmp_path):
    model, proc = organism
    model.save_pretrained(tmp_path)
    proc.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    proc2 = AutoProcessor.from_pretrained(tmp_path)
    model2 = AutoModelForImageTextToText.from_pretrained(tmp_path).eval()
    assert type(AutoModelForCausalLM.from_pretrained(tmp_path)) is type(model)
    texts = [chat_text(proc, build_a1(it).text) for it in items]
    kw = dict(images=[it.image for it in items], audio=[it.waveform for it in items], padding=True)
    enc, enc2 = proc(text=texts, **kw), proc2(text=texts, **kw)
    assert torch.equal(enc["input_ids"], enc2["input_ids"])
    with torch.no_grad():
        torch.testing.assert_close(model(**enc).logits, model2(**enc2).logits)
        gen = model2.generate(**enc2, max_new_tokens=1, do_sample=False)
    assert gen.shape == (len(items), enc2["input_ids"].shape[1] + 1)
