"""Never lose work: SIGKILL mid-run then resume; torchrun data parallel equals one process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from capture_fakes import FakeModel
from capture_helpers import assert_same_store

from senseslens.capture.extract import extract
from senseslens.capture.store import open_store
from senseslens.data.synthetic import synthetic_imavb

torch.set_num_threads(1)
HERE = Path(__file__).parent
WORKER = str(HERE / "_extract_worker.py")
N_CLIPS, SHARD, BATCH = 6, 4, 2  # 24 items, 6 shards, 2 batches per shard


def _env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("RANK", None)
    env.pop("WORLD_SIZE", None)
    return env


def _run(out: Path) -> None:
    """The same extraction in this process (the fake model is deterministic across processes)."""
    extract(FakeModel(), synthetic_imavb(N_CLIPS), out=out, batch_size=BATCH, shard_size=SHARD, progress=False)


def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, WORKER, str(out), str(N_CLIPS), "0.15", str(SHARD), str(BATCH)],
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    shards = out / "shards"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(shards.glob("shard-*.safetensors"))) < 2:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    time.sleep(0.17)  # land somewhere inside the next shard's batches
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial = open_store(out)
    assert 2 <= len(partial) < 24 and not partial.complete
    assert partial.index.tolist() == list(range(len(partial)))  # done prefix, whole shards only

    _run(out)  # resume
    _run(tmp_path / "clean")  # uninterrupted reference
    store = open_store(out)
    assert store.complete and len(store) == 24
    assert store.index.tolist() == list(range(24)) and len(set(store.items_done)) == 24
    assert not [p for p in shards.iterdir() if ".tmp-" in p.name]
    assert_same_store(out, tmp_path / "clean")


def test_torchrun_two_ranks_equal_single_process(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           WORKER, str(tmp_path / "dp"), str(N_CLIPS), "0", str(SHARD), str(BATCH), "--dist"]
    res = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    assert "done 0" in res.stdout and "done 1" in res.stdout
    _run(tmp_path / "single")
    assert open_store(tmp_path / "dp").complete
    assert_same_store(tmp_path / "dp", tmp_path / "single")

