"""Notebook outputs are deterministic for a seed: two executions give the same text outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01_quickstart.ipynb"


def _text_outputs(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/plain" in data and "Figure" not in data["text/plain"] and "Axes" not in data["text/plain"]:
                texts.append(data["text/plain"])
            elif out.get("output_type") == "stream" and "it/s" not in out.get("text", ""):
                texts.append(out["text"])
    return texts


def test_quickstart_outputs_repeat_exactly():
    first, second = _text_outputs(NOTEBOOK), _text_outputs(NOTEBOOK)
    assert len(first) >= 5
    assert first == second
