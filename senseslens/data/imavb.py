"""Load and write IMAVB in its published layout.

Layout (HF dataset ``ngqtrung/IMAVB``): four splits ``standard_vision``,
``misleading_vision``, ``standard_audio``, ``misleading_audio`` and the clips under
``videos/<video_id>.mp4``. Row fields: ``video_id``, ``question``, ``option_a`` ..
``option_f``, ``correct_answer`` (A-D standard, E misleading vision, F misleading
audio), ``video`` (path, or ``{"path": ...}``), and optionally ``modality``,
``is_misleading``, ``category``, ``misleading_category``.

A local directory may hold each split as ``<split>.{parquet,jsonl,json,csv}``,
``<split>/*.<ext>`` or ``data/<split>-*.<ext>`` (the Hub's parquet naming). Item ids
are ``"<video_id>:<cell>"`` unless the rows carry an ``item_id`` column.
"""

from __future__ import annotations

import json
import shutil
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

import pandas as pd

from ..errors import DataError
from .benchmark import Benchmark
from .items import CONTENT_LETTERS, REJECT_LETTER, REJECT_TEXT, Item
from .media import write_video

#: split name -> (modality, premise), in the dataset's order.
SPLITS: Mapping[str, tuple[str, str]] = {
    "standard_vision": ("vision", "standard"),
    "misleading_vision": ("vision", "misleading"),
    "standard_audio": ("audio", "standard"),
    "misleading_audio": ("audio", "misleading"),
}
SPLIT_OF_CELL: Mapping[str, str] = {
    ("mis_" if p == "misleading" else "std_") + m[0]: s for s, (m, p) in SPLITS.items()
}
FORMATS = ("parquet", "jsonl", "json", "csv")
COLUMNS = ("item_id", "video_id", "question", "option_a", "option_b", "option_c", "option_d", "option_e",
           "option_f", "correct_answer", "video", "modality", "is_misleading", "misleading_category", "category")
REQUIRED = ("video_id", "question", "option_a", "option_b", "option_c", "option_d", "correct_answer")
_READERS = {
    "parquet": lambda p: pd.read_parquet(p),
    "jsonl": lambda p: pd.read_json(p, lines=True, dtype=False),
    "json": lambda p: pd.read_json(p, dtype=False),
    "csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False),
}


def _has_parquet_engine() -> bool:
    for mod in ("pyarrow", "fastparquet"):
        try:
            __import__(mod)
            return True
        except ImportError:
            continue
    return False


def _split_files(root: Path, split: str) -> list[Path]:
    for ext in FORMATS:
        for pattern in (f"{split}.{ext}", f"{split}/*.{ext}", f"data/{split}-*.{ext}",
                        f"data/{split}.{ext}", f"data/{split}/*.{ext}"):
            found = sorted(root.glob(pattern))
            if found:
                return found
    return []


def _read_split(root: Path, split: str) -> list[tuple[str, dict[str, Any]]]:
    files = _split_files(root, split)
    if not files:
        raise DataError(
            f"no file for split {split!r} under {str(root)!r}; expected {split}.parquet/.jsonl/.json/.csv, "
            f"{split}/*.<ext> or data/{split}-*.<ext>."
        )
    rows: list[tuple[str, dict[str, Any]]] = []
    for f in files:
        ext = f.suffix.lstrip(".")
        if ext == "parquet" and not _has_parquet_engine():
            raise DataError(f"{str(f)!r} is parquet but neither pyarrow nor fastparquet is installed; "
                            "`pip install pyarrow`, or convert the split to .jsonl.")
        if f.stat().st_size == 0:
            continue
        try:
            frame = _READERS[ext](f)
        except (ValueError, OSError) as exc:
            raise DataError(f"cannot read {str(f)!r} as {ext}: {exc}") from exc
        for i, rec in enumerate(frame.to_dict(orient="records")):
            rows.append((f"{split}[{len(rows)}] ({f.name} row {i})", rec))
    return rows


def _hub_rows(dataset_id: str, split: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        import datasets
    except ImportError as exc:
        raise DataError(f"loading {dataset_id!r} from the Hub needs the `datasets` package: "
                        "`pip install datasets` (extra `senseslens[hub]`), or download the "
                        "dataset and pass its local directory.") from exc
    try:
        ds = datasets.load_dataset(dataset_id, split=split)
    except Exception as exc:  # network, auth, offline mode: all end here
        raise DataError(f"could not load split {split!r} of {dataset_id!r} from the Hub ({exc}). "
                        "Check network access / HF_HUB_OFFLINE and that you accepted the dataset's terms, "
                        "or pass a local directory.") from exc
    feature = (getattr(ds, "features", None) or {}).get("video")
    if feature is not None and isinstance(feature, datasets.Video):
        # keep the {"path", "bytes"} record: decoding would need torchcodec and hold whole clips
        ds = ds.cast_column("video", datasets.Video(decode=False))
    return [(f"{split}[{i}]", dict(rec)) for i, rec in enumerate(ds)]


def _text(rec: Mapping[str, Any], key: str) -> str | None:
    v = rec.get(key)
    if v is None or (isinstance(v, float) and v != v):
        return None
    return str(v).strip()


def _video_path(rec: Mapping[str, Any], root: Path | None, cache: Path) -> str | None:
    """The clip's file; embedded bytes (parquet / Hub ``{"path", "bytes"}``) go to ``cache`` once."""
    v = rec.get("video")
    vid = _text(rec, "video_id")
    if isinstance(v, Mapping):
        data, v = v.get("bytes"), v.get("path")
        located = v if v and (Path(v).is_file() or (root is not None and (root / v).is_file())) else None
        if data and not located and vid:
            target = cache / f"{vid}{Path(v).suffix if v else '.mp4'}"
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            return str(target)
    v = None if v is None or (isinstance(v, float) and v != v) or v == "" else str(v)
    if root is not None:
        if v is not None and not Path(v).is_absolute():
            return str(root / v)
        if v is None and vid:
            return str(root / "videos" / f"{vid}.mp4")
    return v


def _row_to_item(split: str, rec: Mapping[str, Any], root: Path | None, check_media: bool, cache: Path) -> Item:
    """One row -> Item; raises ValueError with the reason when the row is bad."""
    modality, premise = SPLITS[split]
    missing = [k for k in REQUIRED if not _text(rec, k)]
    if missing:
        raise ValueError(f"missing or empty field(s) {missing}")
    gold = _text(rec, "correct_answer").upper()
    want = REJECT_LETTER[modality] if premise == "misleading" else None
    if want is not None and gold != want:
        raise ValueError(f"correct_answer {gold!r} but a {split} item must have {want!r}")
    if want is None and gold not in CONTENT_LETTERS:
        raise ValueError(f"correct_answer {gold!r} but a standard item needs one of A-D")
    if _text(rec, "modality") and _text(rec, "modality").lower() != modality:
        raise ValueError(f"modality {rec['modality']!r} contradicts split {split!r}")
    for key, letter in (("option_e", "E"), ("option_f", "F")):
        given = _text(rec, key)
        if given and given.rstrip(".") != REJECT_TEXT[letter]:
            raise ValueError(f"{key} is {given!r}, not the reject text {REJECT_TEXT[letter]!r}")
    options = tuple(_text(rec, f"option_{c}") for c in "abcd")
    if len(set(options)) < 4:
        raise ValueError("options A-D are not all different")
    video = _video_path(rec, root, cache)
    if check_media and (video is None or not Path(video).is_file()):
        raise ValueError(f"video file not found: {video!r}")
    cell = ("mis_" if premise == "misleading" else "std_") + modality[0]
    vid = _text(rec, "video_id")
    meta = {k: rec[k] for k in ("category", "misleading_category", "is_misleading") if k in rec}
    meta["split"] = split
    return Item(
        item_id=_text(rec, "item_id") or f"{vid}:{cell}",
        clip_id=vid,
        modality=modality,  # type: ignore[arg-type]
        premise=premise,  # type: ignore[arg-type]
        question=_text(rec, "question"),
        options=options,  # type: ignore[arg-type]
        gold=gold,
        subcategory=_text(rec, "misleading_category") or _text(rec, "category") or None,
        video=video,
        meta=meta,
    )


def _link_twins(items: list[Item]) -> list[Item]:
    key = {(it.clip_id, it.modality, it.premise): it.item_id for it in items}
    out = []
    for it in items:
        other = "standard" if it.is_misleading else "misleading"
        out.append(replace(it, twin_id=key.get((it.clip_id, it.modality, other))))
    return out


def load_imavb(
    path_or_id: str | Path,
    *,
    on_bad_rows: Literal["raise", "skip"] = "raise",
    limit: int | None = None,
    splits: Iterable[str] = tuple(SPLITS),
    check_media: bool = True,
    media_cache: str | Path | None = None,
) -> Benchmark:
    """Load IMAVB from a local directory or a Hugging Face dataset id.

    Args:
        path_or_id: a directory in the published layout, or a Hub id such as
            ``"ngqtrung/IMAVB"`` (needs network and the optional ``datasets`` package).
        on_bad_rows: ``"raise"``: one `DataError` listing every bad row and its
            reason; ``"skip"``: drop them, warn, and record the count and reasons on
            ``Benchmark.skipped`` / ``Benchmark.skipped_rows``.
        limit: at most this many rows *per split* (first rows, before validation).
        splits: which splits to load.
        check_media: a row whose video file does not exist is a bad row.
        media_cache: where videos embedded as bytes are written (once per clip);
            default ``<dir>/videos`` locally, ``~/.cache/senseslens/imavb/videos`` for a Hub id.

    Twins are linked by ``(video_id, modality)``; a twin cut by ``limit`` or skipped
    leaves ``twin_id=None``.
    """
    if on_bad_rows not in ("raise", "skip"):
        raise DataError(f"on_bad_rows must be 'raise' or 'skip', got {on_bad_rows!r}.")
    splits = tuple(splits)
    unknown = [s for s in splits if s not in SPLITS]
    if unknown:
        raise DataError(f"unknown split(s) {unknown}; IMAVB has {list(SPLITS)}.")
    root = Path(path_or_id)
    local = root.is_dir()
    if not local and (root.exists() or str(path_or_id).count("/") != 1):
        raise DataError(f"{str(path_or_id)!r} is neither a directory nor a Hub dataset id 'owner/name'.")
    cache = Path(media_cache) if media_cache is not None else (
        root / "videos" if local else Path.home() / ".cache" / "senseslens" / "imavb" / "videos")
    items: list[Item] = []
    bad: list[tuple[str, str]] = []
    seen: set[str] = set()
    for split in splits:
        rows = _read_split(root, split) if local else _hub_rows(str(path_or_id), split)
        for row_id, rec in rows[: limit if limit is not None else None]:
            try:
                item = _row_to_item(split, rec, root if local else None, check_media, cache)
                if item.item_id in seen:
                    raise ValueError(f"duplicate item id {item.item_id!r}")
            except ValueError as exc:
                bad.append((f"{row_id} video_id={rec.get('video_id')!r}", str(exc)))
                continue
            seen.add(item.item_id)
            items.append(item)
    if bad and on_bad_rows == "raise":
        listing = "\n".join(f"  {rid}: {why}" for rid, why in bad)
        raise DataError(f"{len(bad)} bad row(s) in {str(path_or_id)!r}:\n{listing}\n"
                        "Fix them, or pass on_bad_rows='skip' to drop them (they are counted on Benchmark.skipped).")
    if bad:
        warnings.warn(f"load_imavb skipped {len(bad)} bad row(s) of {str(path_or_id)!r}; "
                      "see Benchmark.skipped_rows for the reasons.", stacklevel=2)
    return Benchmark(tuple(_link_twins(items)), skipped=len(bad), skipped_rows=tuple(bad), source=str(path_or_id))


def _clip_media(items: list[Item], videos: Path, fps: float) -> str | None:
    """Put the clip's video under ``videos/``; return its path relative to the root."""
    for it in items:
        if it.video is not None and Path(it.video).is_file():
            target = videos / f"{it.clip_id}{Path(it.video).suffix or '.mp4'}"
            if Path(it.video).resolve() != target.resolve():
                shutil.copyfile(it.video, target)
            return f"videos/{target.name}"
    for it in items:
        if it.frames is not None:
            target = videos / f"{it.clip_id}.mp4"
            write_video(target, it.frames, fps, audio=it.waveform)
            return f"videos/{target.name}"
    return None


def write_imavb(
    benchmark: Benchmark | Iterable[Item],
    directory: str | Path,
    *,
    format: Literal["jsonl", "json", "csv", "parquet"] = "jsonl",
    fps: float = 4.0,
) -> Path:
    """Write ``benchmark`` in the published layout: ``<split>.<format>`` + ``videos/``.

    Each clip's video is copied from ``Item.video``, or encoded from in-memory
    ``frames`` (+ ``waveform`` at 16 kHz) at ``fps``. Rows carry the dataset's fields
    plus ``item_id``; ``load_imavb(directory)`` reads it back. Returns ``directory``.
    """
    if format not in FORMATS:
        raise DataError(f"format must be one of {FORMATS}, got {format!r}.")
    if format == "parquet" and not _has_parquet_engine():
        raise DataError("writing parquet needs pyarrow (`pip install pyarrow`); use format='jsonl'.")
    root = Path(directory)
    videos = root / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    items = list(benchmark)
    by_clip: dict[str, list[Item]] = {}
    for it in items:
        by_clip.setdefault(it.clip_id, []).append(it)
    video_of = {clip: _clip_media(its, videos, fps) for clip, its in by_clip.items()}
    for split, (modality, premise) in SPLITS.items():
        rows = []
        for it in items:
            if (it.modality, it.premise) != (modality, premise):
                continue
            rec = {"item_id": it.item_id, "video_id": it.clip_id, "question": it.question}
            rec.update({f"option_{c}": o for c, o in zip("abcd", it.options)})
            rec.update({"option_e": REJECT_TEXT["E"], "option_f": REJECT_TEXT["F"],
                        "correct_answer": it.gold, "video": video_of[it.clip_id] or "",
                        "modality": modality, "is_misleading": premise == "misleading",
                        "misleading_category": it.subcategory if premise == "misleading" else None,
                        "category": None if premise == "misleading" else it.subcategory})
            rows.append(rec)
        _write_rows(rows, root / f"{split}.{format}", format)
    return root


def _write_rows(rows: list[dict[str, Any]], path: Path, fmt: str) -> None:
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    elif fmt == "csv":
        pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(path, index=False)
    else:
        pd.DataFrame(rows, columns=list(COLUMNS)).to_parquet(path, index=False)
