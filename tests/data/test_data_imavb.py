"""IMAVB loading from the published layout, bad rows, formats, and the Hub path."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from senseslens.data import SPLITS, Benchmark, load_imavb, write_imavb
from senseslens.data import imavb as imavb_mod
from senseslens.errors import DataError

TEXT_COLUMNS = ["item_id", "clip_id", "modality", "premise", "cell", "question",
                "option_a", "option_b", "option_c", "option_d", "gold", "twin_id", "subcategory"]


def test_round_trip_of_the_layout(imavb_dir):
    assert {p.name for p in imavb_dir.iterdir()} == {f"{s}.jsonl" for s in SPLITS} | {"videos"}
    bench = load_imavb(imavb_dir)
    assert len(bench) == 12 and bench.skipped == 0
    assert {c: len(v) for c, v in bench.cells().items()} == {"std_v": 3, "std_a": 3, "mis_v": 3, "mis_a": 3}
    it = bench["vid1:mis_a"]
    assert it.gold == "F" and it.twin_id == "vid1:std_a" and it.subcategory == "object_attribute"
    assert Path(it.video) == imavb_dir / "videos" / "vid1.mp4" and Path(it.video).is_file()
    assert bench.twin(it).gold == "B"
    assert it.meta["split"] == "misleading_audio"


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_all_local_formats_load_the_same_items(imavb_dir, tmp_path, fmt):
    ref = load_imavb(imavb_dir)
    write_imavb(ref, tmp_path, format=fmt)
    assert (tmp_path / f"misleading_vision.{fmt}").is_file()
    got = load_imavb(tmp_path)
    pd.testing.assert_frame_equal(got.to_dataframe()[TEXT_COLUMNS], ref.to_dataframe()[TEXT_COLUMNS])


def _hub_style_rows(video_rel: str) -> dict[str, list[dict]]:
    """Rows as the published dataset has them: no item_id, E/F texts present, video as {'path': ...}."""
    out = {}
    for split, (modality, premise) in SPLITS.items():
        gold = {"vision": "E", "audio": "F"}[modality] if premise == "misleading" else "C"
        out[split] = [{
            "video_id": "abc", "question": f"In the {split} scene, what is shown?",
            "option_a": "a cup", "option_b": "a hat", "option_c": "a dog", "option_d": "a car",
            "option_e": "The visual detail in the question is incorrect",
            "option_f": "The audio detail in the question is incorrect",
            "correct_answer": gold, "video": {"path": video_rel, "bytes": None}, "modality": modality,
            "misleading_category": "sound_type" if premise == "misleading" else None,
            "category": "plot",
        }]
    return out


def test_hub_parquet_layout_with_data_folder(tmp_path, media_files):
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "abc.mp4").write_bytes(Path(media_files["video"]).read_bytes())
    (tmp_path / "data").mkdir()
    for split, rows in _hub_style_rows("videos/abc.mp4").items():
        pd.DataFrame(rows).to_parquet(tmp_path / "data" / f"{split}-00000-of-00001.parquet")
    bench = load_imavb(tmp_path)
    assert [it.item_id for it in bench] == ["abc:std_v", "abc:mis_v", "abc:std_a", "abc:mis_a"]
    assert bench["abc:std_a"].gold == "C" and bench["abc:mis_a"].subcategory == "sound_type"
    assert bench["abc:std_v"].subcategory == "plot"
    assert Path(bench["abc:std_v"].video) == tmp_path / "videos" / "abc.mp4"


def test_embedded_video_bytes_are_written_once(tmp_path, media_files):
    data = Path(media_files["video"]).read_bytes()
    for split, rows in _hub_style_rows("abc.mp4").items():
        for r in rows:
            r["video"] = {"path": "abc.mp4", "bytes": data}
        pd.DataFrame(rows).to_parquet(tmp_path / f"{split}.parquet")
    cache = tmp_path / "cache"
    bench = load_imavb(tmp_path, media_cache=cache)
    assert {it.video for it in bench} == {str(cache / "abc.mp4")}
    assert (cache / "abc.mp4").read_bytes() == data


def _write_jsonl(root: Path, split: str, rows: list[dict]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture
def dirty_dir(tmp_path, imavb_dir):
    """Three good clips plus four bad rows in two splits."""
    root = tmp_path / "dirty"
    for split in SPLITS:
        rows = [json.loads(line) for line in (imavb_dir / f"{split}.jsonl").read_text().splitlines()]
        for r in rows:
            r["video"] = str(imavb_dir / r["video"])
        if split == "misleading_vision":
            bad_gold = dict(rows[0], item_id="x1", correct_answer="A")
            no_question = dict(rows[0], item_id="x2", question="  ")
            rows += [bad_gold, no_question]
        if split == "standard_audio":
            no_video = dict(rows[0], item_id="x3", video_id="ghost", video="videos/ghost.mp4")
            wrong_modality = dict(rows[0], item_id="x4", modality="vision")
            rows += [no_video, wrong_modality]
        _write_jsonl(root, split, rows)
    return root


def test_bad_rows_raise_one_error_listing_all(dirty_dir):
    with pytest.raises(DataError) as info:
        load_imavb(dirty_dir)
    msg = str(info.value)
    assert msg.startswith("4 bad row(s)")
    assert "correct_answer 'A'" in msg and "'question'" in msg
    assert "ghost.mp4" in msg and "contradicts split" in msg
    assert "misleading_vision[3]" in msg and "standard_audio[4]" in msg


def test_bad_rows_skipped_are_counted_and_warned(dirty_dir):
    with pytest.warns(UserWarning, match="skipped 4 bad row"):
        bench = load_imavb(dirty_dir, on_bad_rows="skip")
    assert len(bench) == 12 and bench.skipped == 4 and len(bench.skipped_rows) == 4
    assert all(reason for _, reason in bench.skipped_rows)
    assert "x1" not in bench


def test_check_media_false_keeps_rows_without_videos(tmp_path):
    for split, rows in _hub_style_rows("videos/abc.mp4").items():
        _write_jsonl(tmp_path, split, rows)
    with pytest.raises(DataError, match="video file not found"):
        load_imavb(tmp_path)
    assert len(load_imavb(tmp_path, check_media=False)) == 4


def test_limit_is_per_split_and_unlinked_twins_are_none(imavb_dir):
    bench = load_imavb(imavb_dir, limit=2)
    assert len(bench) == 8
    assert all(it.twin_id is not None for it in bench)
    partial = load_imavb(imavb_dir, splits=["misleading_vision"])
    assert len(partial) == 3 and all(it.twin_id is None for it in partial)


def test_parquet_without_engine_is_a_clear_error(tmp_path, monkeypatch):
    for split, rows in _hub_style_rows("videos/abc.mp4").items():
        pd.DataFrame(rows).to_parquet(tmp_path / f"{split}.parquet")
    monkeypatch.setattr(imavb_mod, "_has_parquet_engine", lambda: False)
    with pytest.raises(DataError, match="pyarrow"):
        load_imavb(tmp_path, check_media=False)


def test_hub_id_without_datasets_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(DataError, match="datasets"):
        load_imavb("ngqtrung/IMAVB")


def test_hub_id_goes_through_datasets(monkeypatch, tmp_path):
    rows = _hub_style_rows("/abs/videos/abc.mp4")
    calls = []

    class FakeDatasets:
        @staticmethod
        def load_dataset(name, split):
            calls.append((name, split))
            return rows[split]

    monkeypatch.setitem(sys.modules, "datasets", FakeDatasets)
    bench = load_imavb("owner/name", check_media=False)
    assert [c[1] for c in calls] == list(SPLITS) and len(bench) == 4
    assert bench["abc:mis_v"].video == "/abs/videos/abc.mp4"


def test_not_a_directory_nor_an_id(tmp_path):
    with pytest.raises(DataError, match="neither a directory"):
        load_imavb(tmp_path / "a" / "b" / "c")


def test_missing_split_file(tmp_path):
    with pytest.raises(DataError, match="standard_vision"):
        load_imavb(tmp_path)


def test_write_imavb_encodes_in_memory_media(tmp_path, make_bench, media_files):
    frames = media_files["frames"][:8]
    bench = make_bench(1, frames=frames)
    write_imavb(bench, tmp_path)
    back = load_imavb(tmp_path)
    assert isinstance(back, Benchmark) and len(back) == 4
    assert (tmp_path / "videos" / "clip00.mp4").is_file()
