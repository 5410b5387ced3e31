"""``senseslens extract`` and ``senseslens bench`` command lines, in process."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from senseslens.bench import BENCHMARKS, format_table, run_all
from senseslens.capture.store import open_store
from senseslens.cli import main

torch.set_num_threads(1)


def test_cli_extract_tiny_checkpoint(tmp_path, monkeypatch, capsys):
    from senseslens.testing.tiny import build_tiny, save_tiny

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ckpt = save_tiny(build_tiny("llava"), tmp_path / "ckpt")
    args = ["extract", "--model", str(ckpt), "--data", "synthetic:2", "--out", str(tmp_path / "s"),
            "--batch-size", "3", "--limit", "6", "--shard-size", "3", "--no-progress"]
    assert main(args + ["--shard", "1/2"]) == 0
    assert "shard(s) not written yet" in capsys.readouterr().out
    assert main(args + ["--shard", "0/2"]) == 0
    store = open_store(tmp_path / "s")
    assert store.complete and len(store) == 6 and store.sites == ("last", "image", "question")
    assert np.isfinite(store.get("image", -1)).all()


def test_bench_registry(monkeypatch, tmp_path, capsys):
    assert "extract" in BENCHMARKS
    monkeypatch.setitem(BENCHMARKS, "fake", lambda quick: {"a_ratio": {"value": 1.01, "target": "<= 1.05",
                                                                       "passed": True}})
    monkeypatch.setitem(BENCHMARKS, "broken", lambda quick: 1 / 0)
    res = run_all(quick=True, only=["fake", "broken"], log=None)
    assert res["a_ratio"]["value"] == 1.01 and res["a_ratio"]["module"] == "fake"
    assert res["broken"]["value"] is None and "ZeroDivisionError" in res["broken"]["error"]
    table = format_table(res)
    assert "a_ratio" in table and "1.01" in table and "errors:" in table
    out = tmp_path / "b.json"
    monkeypatch.setattr("senseslens.bench.BENCHMARKS", {"fake": BENCHMARKS["fake"]})
    assert main(["bench", "--quick", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["a_ratio"]["value"] == 1.01
    with pytest.raises(KeyError, match="unknown benchmark"):
        run_all(only=["nope"], log=None)
