"""`senseslens demo` end to end on a small synthetic benchmark, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys


def test_demo_writes_the_report_and_figures(tmp_path):
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "senseslens", "demo", "--out", str(out), "--clips", "24", "--seed", "3"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    for key in ("behavior", "probe", "own_margin_auroc", "pgla", "constant_bias", "steering", "patching", "lens", "timings"):
        assert key in report, key
    assert report["model"] == "senses-organism" and report["n_items"] == 96
    assert len(list((out / "figures").glob("*.png"))) == len(report["figures"]) >= 9
    assert "own-margin AUROC" in proc.stdout
