"""Published behaviour: accuracy per cell of the 2×2 design, balanced accuracy, failure mode.

All accuracies are percent (0–100) on 500 items per cell (the human row: 50 clips), with
the fixed option order (prompt variant A1). ``Bal = ½·(mean(std_v, std_a) + mean(mis_v,
mis_a))``, as published (rounded to 0.1 by the authors, so recomputing it from the
rounded cells may differ in the last digit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from senseslens.paper.provenance import BEHAVIOUR_TABLE, BEHAVIOUR_TEXT, Source

__all__ = [
    "BehaviorRow",
    "BEHAVIOR",
    "HUMAN",
    "FailureMode",
    "FAILURE_MODES",
    "InterferenceFact",
    "INTERFERENCE",
    "RunnerUpRate",
    "RUNNER_UP",
    "CELLS",
    "behavior_table",
]

FailureMode = Literal["under-rejection", "over-rejection"]
CELLS: tuple[str, ...] = ("std_v", "std_a", "mis_v", "mis_a")

#: How the paper describes each failure mode (wording ours).
FAILURE_MODES: dict[str, str] = {
    "under-rejection": "answers as if the false premise were true (7 open models)",
    "over-rejection": (
        "rejects more often but loses 15–25 points of standard accuracy "
        "(Qwen3-Omni, Gemini 3.1 Pro)"
    ),
}


@dataclass(frozen=True)
class BehaviorRow:
    """Accuracy (percent) per cell and balanced accuracy of one model (or the human)."""

    model: str
    std_v: float
    std_a: float
    mis_v: float
    mis_a: float
    bal: float
    failure_mode: FailureMode | None
    note: str = ""
    source: Source = BEHAVIOUR_TABLE

    def cell(self, name: str) -> float:
        """Accuracy of cell ``name`` (``std_v`` … ``mis_a`` or ``bal``), percent."""
        return float(getattr(self, name))


_U: FailureMode = "under-rejection"
_O: FailureMode = "over-rejection"

#: Models in the order of the paper's behaviour table.
BEHAVIOR: tuple[BehaviorRow, ...] = (
    BehaviorRow("OLA", 71.0, 71.6, 6.8, 0.0, 37.4, _U),
    BehaviorRow("OmniVinci", 75.4, 71.4, 6.6, 0.0, 38.4, _U),
    BehaviorRow("Qwen2.5-Omni", 64.4, 69.0, 16.0, 0.6, 37.5, _U),
    BehaviorRow("MiniCPM-o 2.6", 56.6, 54.2, 9.0, 6.6, 31.6, _U),
    BehaviorRow("Uni-MoE-2.0-Omni", 74.8, 69.0, 9.0, 0.0, 38.2, _U),
    BehaviorRow("Baichuan-Omni-1.5", 66.0, 66.8, 13.8, 0.6, 36.8, _U),
    BehaviorRow("Video-SALMONN-2", 69.8, 66.6, 16.2, 0.0, 38.2, _U),
    BehaviorRow("Qwen3-Omni", 40.6, 46.6, 72.8, 23.6, 45.9, _O),
    BehaviorRow("Gemini 3.1 Pro", 50.2, 53.8, 94.0, 48.6, 61.6, _O, note="API model"),
)

#: The human reference row: one person, 50 clips. No failure mode is assigned.
HUMAN = BehaviorRow("human", 92.0, 86.0, 84.0, 72.0, 83.5, None, note="1 person, 50 clips")


@dataclass(frozen=True)
class InterferenceFact:
    """Change of one cell's accuracy (points) when one input modality is removed."""

    model: str
    removed: Literal["vision", "audio"]
    cell: str
    change_pt: float
    source: Source = BEHAVIOUR_TEXT


#: Only the cross-modal facts the paper states numerically.
INTERFERENCE: tuple[InterferenceFact, ...] = (
    InterferenceFact("Qwen2.5-Omni", "audio", "mis_v", +6.2),
)


@dataclass(frozen=True)
class RunnerUpRate:
    """Share of items (percent) whose second-ranked option is the reject option."""

    premise: Literal["standard", "misleading"]
    pct: float
    source: Source = BEHAVIOUR_TEXT


RUNNER_UP: tuple[RunnerUpRate, ...] = (
    RunnerUpRate("misleading", 23.0),
    RunnerUpRate("standard", 15.2),
)


def behavior_table(
    *, wide: bool = False, include_human: bool = True, include_api: bool = True,
    include_bal: bool = True,
) -> pd.DataFrame:
    """The behaviour table as a DataFrame (percent).

    Long format (default) is the schema of :func:`senseslens.figures.plot_cells`:
    ``model, cell, accuracy_pct, failure_mode`` with cells ``std_v, std_a, mis_v, mis_a``
    and (with ``include_bal``) ``bal``. ``wide=True`` gives one row per model with columns
    ``model, std_v, std_a, mis_v, mis_a, bal, failure_mode, note``.
    """
    rows = [r for r in BEHAVIOR if include_api or r.note != "API model"]
    if include_human:
        rows.append(HUMAN)
    wide_df = pd.DataFrame(
        [{"model": r.model, **{c: r.cell(c) for c in (*CELLS, "bal")},
          "failure_mode": r.failure_mode, "note": r.note} for r in rows]
    )
    if wide:
        return wide_df
    cells = [*CELLS, "bal"] if include_bal else list(CELLS)
    long = [
        {"model": r.model, "cell": c, "accuracy_pct": r.cell(c), "failure_mode": r.failure_mode}
        for r in rows for c in cells
    ]
    return pd.DataFrame(long)
