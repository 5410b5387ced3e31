"""Prompt variants: the paper's A1 text byte for byte, regions, golds, shuffling, media."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from senseslens.data import PROMPT_VARIANTS, Item, build_a1, build_prompt
from senseslens.data.items import REJECT_TEXT
from senseslens.errors import DataError

ITEM = Item(
    item_id="v1:mis_v", clip_id="v1", modality="vision", premise="misleading",
    question="When the man in the blue polo shirt turns, what does he hold?",
    options=("A cup", "A phone", "A letter", "Nothing"), gold="E",
)

PAPER_A1 = (
    "Question:\n"
    "When the man in the blue polo shirt turns, what does he hold?\n"
    "\n"
    "Options:\n"
    "A. A cup\n"
    "B. A phone\n"
    "C. A letter\n"
    "D. Nothing\n"
    "E. The visual detail in the question is incorrect\n"
    "F. The audio detail in the question is incorrect\n"
    "\n"
    "Answer with the option's letter from the given choices directly."
)


def _item(cell: str, gold: str = "C") -> Item:
    modality = {"v": "vision", "a": "audio"}[cell[-1]]
    premise = "misleading" if cell.startswith("mis") else "standard"
    g = {"vision": "E", "audio": "F"}[modality] if premise == "misleading" else gold
    return replace(ITEM, item_id=f"v1:{cell}", modality=modality, premise=premise, gold=g)


def test_a1_is_byte_identical_to_the_paper_template():
    assert build_a1(ITEM).text == PAPER_A1
    assert build_prompt(ITEM, "A1").text.encode() == PAPER_A1.encode()


def test_there_are_seven_documented_variants():
    assert list(PROMPT_VARIANTS) == ["A1", "shuffle", "A2", "A5", "warn", "cot", "modal"]
    for v in PROMPT_VARIANTS.values():
        assert v.description and v.scoring and v.answer_kind in ("letter6", "letter5", "true_false")


@pytest.mark.parametrize("name", list(PROMPT_VARIANTS))
@pytest.mark.parametrize("cell", ["std_v", "std_a", "mis_v", "mis_a"])
def test_regions_meta_and_gold(name, cell):
    v = PROMPT_VARIANTS[name]
    item = _item(cell)
    p = build_prompt(item, name, seed=5)
    assert p.meta["item_id"] == item.item_id and p.meta["variant"] == name
    assert p.region_text("question") == item.question
    if v.answer_kind == "true_false":
        assert "options" not in p.regions
        assert v.gold_for(item, p) == ("FALSE" if item.is_misleading else "TRUE")
        assert "TRUE or FALSE" in p.text
    else:
        opts = p.region_text("options").split("\n")
        assert len(opts) == len(v.labels)
        assert [o[0] for o in opts] == list(v.labels)
        gold = v.gold_for(item, p)
        gold_line = opts[v.labels.index(gold)]
        expected = REJECT_TEXT[item.reject_letter] if item.is_misleading else item.options[2]
        assert gold_line == f"{gold}. {expected}"
        reject_line = opts[v.labels.index(v.reject_for(item, p))]
        assert reject_line.endswith(REJECT_TEXT[item.reject_letter])


def test_modal_variant_shows_only_the_own_reject_option():
    for cell, text in (("mis_a", REJECT_TEXT["F"]), ("std_v", REJECT_TEXT["E"])):
        p = build_prompt(_item(cell), "modal")
        other = REJECT_TEXT["E"] if text == REJECT_TEXT["F"] else REJECT_TEXT["F"]
        assert f"E. {text}" in p.text and other not in p.text and "\nF." not in p.text


def test_warning_and_cot_wording():
    assert build_prompt(ITEM, "warn").text.startswith("Note: the question may contain a detail")
    assert build_prompt(ITEM, "warn").text.endswith(PAPER_A1)
    assert 'Answer: X' in build_prompt(ITEM, "cot").text
    assert PROMPT_VARIANTS["cot"].needs_generation and PROMPT_VARIANTS["A5"].needs_generation


def test_unknown_variant():
    with pytest.raises(DataError, match="unknown prompt variant"):
        build_prompt(ITEM, "A9")


_texts = st.text(alphabet="abcdefghij klmnop", min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(options=st.lists(_texts, min_size=4, max_size=4, unique=True), gold=st.sampled_from("ABCD"),
       seed=st.integers(0, 10_000), item_id=st.text(min_size=1, max_size=8))
def test_shuffle_gold_follows_its_option(options, gold, seed, item_id):
    item = replace(ITEM, item_id=item_id, premise="standard", options=tuple(options), gold=gold)
    v = PROMPT_VARIANTS["shuffle"]
    p = v.build(item, seed=seed)
    lines = p.region_text("options").split("\n")
    shown = {line[0]: line[3:] for line in lines}
    assert shown[v.gold_for(item, p)] == options["ABCD".index(gold)]
    assert sorted(shown[c] for c in "ABCD") == sorted(options)
    assert shown["E"] == REJECT_TEXT["E"] and shown["F"] == REJECT_TEXT["F"]
    assert v.build(item, seed=seed).text == p.text  # deterministic


def test_shuffle_actually_permutes():
    orders = {PROMPT_VARIANTS["shuffle"].build(ITEM, seed=s).meta["option_order"] for s in range(30)}
    assert len(orders) > 5
    assert all(o[4:] == ("E", "F") for o in orders)


def test_media_from_memory():
    frames = np.zeros((3, 8, 8, 3), np.uint8)
    wave = np.zeros(1600, np.float32)
    image = np.full((4, 4, 3), 7, np.uint8)
    item = replace(ITEM, frames=frames, waveform=wave, image=image)
    p = build_prompt(item)
    assert len(p.videos) == 1 and p.videos[0].shape == (3, 8, 8, 3)
    assert len(p.audios) == 1 and p.audios[0].dtype == np.float32 and p.sampling_rate == 16_000
    assert len(p.images) == 1 and p.images[0][0, 0, 0] == 7
    no_audio = build_prompt(item, media=("video", "image"))
    assert no_audio.audios == () and len(no_audio.videos) == 1


def test_media_from_files(media_files):
    item = replace(ITEM, video=str(media_files["video"]), image_path=str(media_files["png"]))
    p = build_prompt(item, "A2", n_frames=6, frame_size=(16, 16))
    assert p.videos[0].shape == (6, 16, 16, 3)
    assert abs(len(p.audios[0]) - 48_000) < 2_400  # the video's own audio track, 3 s at 16 kHz
    assert p.images[0].shape == (32, 48, 3)
    wav_item = replace(item, audio_path=str(media_files["wav"]))
    assert abs(len(build_prompt(wav_item, media=("audio",)).audios[0]) - 16_000) <= 160


def test_media_errors_name_the_file(media_files, tmp_path):
    with pytest.raises(DataError, match="gone.mp4"):
        build_prompt(replace(ITEM, video=str(tmp_path / "gone.mp4")))
    with pytest.raises(DataError, match="no audio track"):
        build_prompt(replace(ITEM, video=str(media_files["silent"])))
    assert len(build_prompt(replace(ITEM, video=str(media_files["silent"])), media=("video",), n_frames=2).videos) == 1
    with pytest.raises(DataError, match="unknown media kind"):
        build_prompt(ITEM, media=("smell",))
