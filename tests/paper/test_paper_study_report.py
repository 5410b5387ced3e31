"""`compare` reads the report.json the study writes (the committed organism run)."""

from __future__ import annotations

import json
from pathlib import Path

from senseslens import paper

REPORT = Path(__file__).resolve().parents[2] / "figures" / "organism" / "report.json"


def test_compare_reads_a_study_report():
    report = json.loads(REPORT.read_text())
    report["model"] = "Qwen/Qwen2.5-Omni-7B"  # pretend the run was that checkpoint
    df = paper.compare(report).to_dataframe().set_index("metric")
    assert df.loc["vision.acc", "ours"] == report["probe"]["vision"]["accuracy"]
    assert abs(df.loc["delta_bal.unconstrained", "ours"] - report["pgla"]["pgla"]["unconstrained"]["delta_bal_pct"]) < 1e-6
    assert df.loc["delta_bal.unconstrained", "published"] == 15.9
    assert df.loc["constant_bias.delta_bal", "verdict"] == "not published"
    assert df.loc["mis_v", "verdict"] == "outside"
