"""Published PGLA (probe-guided logit adjustment) results.

The paper reports the change of balanced accuracy ΔBal (percentage points) per model
for the unconstrained selection, and only the 8-model averages under the 3-point and
1-point standard-accuracy budgets. It does not print Bal before/after PGLA per model,
and it ran no constant-bias control; those fields are ``None`` (NaN in DataFrames).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from senseslens.paper.provenance import PGLA_RESULTS, Source

__all__ = ["PglaResult", "PGLA", "PGLA_AVERAGE_LABEL", "Budget", "BUDGETS", "pgla_table"]

Budget = Literal["unconstrained", "3pt", "1pt"]
BUDGETS: tuple[str, ...] = ("unconstrained", "3pt", "1pt")

#: Row label of the 8-model averages.
PGLA_AVERAGE_LABEL = "average (8 models)"


@dataclass(frozen=True)
class PglaResult:
    """ΔBal (points) of one model (or the average) under one budget."""

    model: str
    budget: Budget
    delta_bal: float
    bal_before: float | None = None
    bal_after: float | None = None
    method: Literal["pgla", "constant_bias"] = "pgla"
    source: Source = PGLA_RESULTS


#: Per-model rows in the order the paper lists them, then the averages.
PGLA: tuple[PglaResult, ...] = (
    PglaResult("Uni-MoE-2.0-Omni", "unconstrained", 18.8),
    PglaResult("MiniCPM-o 2.6", "unconstrained", 17.6),
    PglaResult("OLA", "unconstrained", 17.5),
    PglaResult("Video-SALMONN-2", "unconstrained", 16.9),
    PglaResult("Qwen2.5-Omni", "unconstrained", 15.9),
    PglaResult("OmniVinci", "unconstrained", 14.6),
    PglaResult("Qwen3-Omni", "unconstrained", 11.8),
    PglaResult("Baichuan-Omni-1.5", "unconstrained", 6.7),
    PglaResult(PGLA_AVERAGE_LABEL, "unconstrained", 15.0),
    PglaResult(PGLA_AVERAGE_LABEL, "3pt", 9.9),
    PglaResult(PGLA_AVERAGE_LABEL, "1pt", 5.4),
)


def pgla_table(*, include_average: bool = True) -> pd.DataFrame:
    """PGLA results in the schema of :func:`senseslens.figures.plot_pgla_delta`.

    Columns: ``model, method, budget, bal_before_pct, bal_after_pct, delta_bal_pct``;
    before/after are NaN (not published), ``delta_bal_pct`` holds the published ΔBal.
    """
    rows = [
        {"model": r.model, "method": r.method, "budget": r.budget,
         "bal_before_pct": r.bal_before, "bal_after_pct": r.bal_after,
         "delta_bal_pct": r.delta_bal}
        for r in PGLA if include_average or r.model != PGLA_AVERAGE_LABEL
    ]
    df = pd.DataFrame(rows)
    for c in ("bal_before_pct", "bal_after_pct", "delta_bal_pct"):
        df[c] = df[c].astype(float)
    return df
