"""Run `extract` with the fake model in a fresh process (kill and torchrun tests).

Usage: python _extract_worker.py OUT N_CLIPS DELAY SHARD_SIZE BATCH_SIZE [--dist]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

torch.set_num_threads(1)

from capture_fakes import FakeModel  # noqa: E402

from senseslens.capture.extract import extract  # noqa: E402
from senseslens.data.synthetic import synthetic_imavb  # noqa: E402


def main() -> None:
    out, n_clips, delay, shard_size, batch_size = sys.argv[1:6]
    dist = "--dist" in sys.argv
    if dist:
        torch.distributed.init_process_group("gloo")
    extract(FakeModel(delay=float(delay)), synthetic_imavb(int(n_clips)), out=out,
            batch_size=int(batch_size), shard_size=int(shard_size), progress=False)
    if dist:
        torch.distributed.destroy_process_group()
    print("done", os.environ.get("RANK", "-"))


if __name__ == "__main__":
    main()
