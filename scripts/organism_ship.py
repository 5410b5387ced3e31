"""Copy a trained organism run into the package: ``python scripts/organism_ship.py runs/v2/seed0``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

FILES = ("model.safetensors", "config.json", "generation_config.json", "processor_config.json",
         "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "training.json", "training_curve.png")


def main(run: str) -> None:
    src = Path(run)
    dst = Path(__file__).resolve().parents[1] / "senseslens" / "organism" / "weights"
    dst.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        if (src / name).exists():
            shutil.copyfile(src / name, dst / name)
    total = sum(f.stat().st_size for f in dst.iterdir())
    print(f"shipped {src} -> {dst} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main(sys.argv[1])
