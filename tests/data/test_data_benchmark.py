"""Benchmark: cells, twins, selection, clip-grouped splits, export, fingerprint."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from senseslens.data import CELLS, Benchmark
from senseslens.errors import DataError


def test_container_protocol_and_cells(make_bench):
    bench = make_bench(3)
    assert len(bench) == 12 and len(list(bench)) == 12
    assert bench[0].item_id == "clip00:std_v"
    assert bench["clip01:mis_a"].cell == "mis_a"
    assert isinstance(bench[2:5], Benchmark) and len(bench[2:5]) == 3
    cells = bench.cells()
    assert list(cells) == list(CELLS)
    assert all(len(v) == 3 and all(it.cell == c for it in v) for c, v in cells.items())
    assert "clip02:std_a" in bench and bench[0] in bench
    with pytest.raises(KeyError):
        bench["nope"]


def test_twins_pair_standard_and_misleading(make_bench):
    bench = make_bench(2)
    mis = bench["clip01:mis_v"]
    std = bench.twin(mis)
    assert std.item_id == "clip01:std_v"
    assert bench.twin(std).item_id == mis.item_id
    assert bench.twin("clip00:mis_a").item_id == "clip00:std_a"
    assert len(bench.pairs()) == 4
    assert all(s.premise == "standard" and m.premise == "misleading" for s, m in bench.pairs())


def test_twin_id_wins_and_missing_twin_is_an_error(make_bench):
    bench = make_bench(2)
    linked = Benchmark(tuple(replace(it, twin_id="clip00:std_v") if it.item_id == "clip01:mis_v" else it
                             for it in bench))
    assert linked.twin("clip01:mis_v").item_id == "clip00:std_v"
    only_mis = bench.filter(premise="misleading")
    with pytest.raises(DataError, match="clip00:mis_v"):
        only_mis.twin("clip00:mis_v")


def test_duplicate_ids_rejected(make_bench):
    bench = make_bench(1)
    with pytest.raises(DataError, match="duplicate"):
        Benchmark(bench.items + (bench[0],))


def test_filter_and_where(make_bench):
    bench = make_bench(4)
    assert len(bench.filter(modality="audio")) == 8
    assert len(bench.filter(cell=("std_a", "mis_v"))) == 8
    assert len(bench.filter(is_misleading=True, modality="vision")) == 4
    assert [it.clip_id for it in bench.filter(clip_id={"clip03"})] == ["clip03"] * 4
    assert len(bench.where(lambda it: it.gold == "A")) == 2  # clip00 std_v and std_a
    with pytest.raises(DataError, match="unknown filter key"):
        bench.filter(colour="red")


def test_split_by_clip_keeps_clips_whole(make_bench):
    bench = make_bench(10)
    parts = bench.split_by_clip([0.5, 0.3, 0.2], seed=3)
    clip_sets = [set(p.clip_ids) for p in parts]
    assert [len(s) for s in clip_sets] == [5, 3, 2]
    assert set().union(*clip_sets) == set(bench.clip_ids)
    assert all(not (a & b) for i, a in enumerate(clip_sets) for b in clip_sets[i + 1:])
    assert sum(len(p) for p in parts) == len(bench)
    again = bench.split_by_clip([0.5, 0.3, 0.2], seed=3)
    assert [p.clip_ids for p in again] == [p.clip_ids for p in parts]
    other = bench.split_by_clip([0.5, 0.3, 0.2], seed=4)
    assert [set(p.clip_ids) for p in other] != clip_sets


def test_split_gives_small_fractions_a_clip(make_bench):
    parts = make_bench(5).split_by_clip([0.95, 0.05], seed=0)
    assert [len(p.clip_ids) for p in parts] == [4, 1]


@pytest.mark.parametrize("fractions", [[0.5, 0.4], [1.2, -0.2], []])
def test_split_rejects_bad_fractions(make_bench, fractions):
    with pytest.raises(DataError, match="fractions"):
        make_bench(3).split_by_clip(fractions)


def test_to_dataframe(make_bench):
    df = make_bench(2).to_dataframe()
    assert len(df) == 8
    assert {"item_id", "clip_id", "cell", "question", "option_a", "option_d", "gold", "twin_id"} <= set(df.columns)
    assert df.loc[df.cell == "mis_v", "gold"].eq("E").all()
    assert df.loc[df.cell == "mis_a", "gold"].eq("F").all()


def test_fingerprint_tracks_content_only(make_bench, tmp_path):
    a, b = make_bench(2), make_bench(2)
    fp = a.fingerprint()
    assert len(fp) == 64 and fp == b.fingerprint()
    edited = Benchmark(tuple(replace(it, question=it.question + "?") if i == 3 else it for i, it in enumerate(a)))
    assert edited.fingerprint() != fp
    assert Benchmark(tuple(reversed(a.items))).fingerprint() != fp
    assert Benchmark(tuple(replace(it, meta={"note": 1}) for it in a)).fingerprint() == fp
    moved = [Benchmark(tuple(replace(it, video=f"{d}/videos/{it.clip_id}.mp4") for it in a)) for d in ("/x", "/y")]
    assert moved[0].fingerprint() == moved[1].fingerprint() != fp


def test_fingerprint_sees_in_memory_media(make_bench):
    frames = np.zeros((2, 4, 4, 3), np.uint8)
    one = make_bench(1, frames=frames)
    two = make_bench(1, frames=frames + 1)
    assert one.fingerprint() != two.fingerprint()
    assert one.fingerprint() == make_bench(1, frames=frames.copy()).fingerprint()
