"""Published results of "Senses Wide Shut" (arXiv 2605.13737) as typed data, and tools to
compare a study report with them.

Tables (all percent, ``None``/NaN where the paper published nothing):
:func:`behavior_table`, :func:`probe_table`, :func:`peak_layer_table`,
:func:`text_baseline_table`, :func:`pgla_table`. Models: :data:`MODELS`,
:func:`match_model`. Comparison: :func:`compare`. Figures:
``python -m senseslens.paper.figures --out figures/paper``.
"""

from senseslens.paper.behavior import (
    BEHAVIOR,
    FAILURE_MODES,
    HUMAN,
    INTERFERENCE,
    RUNNER_UP,
    BehaviorRow,
    InterferenceFact,
    RunnerUpRate,
    behavior_table,
)
from senseslens.paper.compare import ComparisonResult, ComparisonRow, Tolerance, compare
from senseslens.paper.models import MODEL_ORDER, MODELS, PaperModel, UnknownPaperModelError, match_model
from senseslens.paper.pgla import PGLA, PGLA_AVERAGE_LABEL, PglaResult, pgla_table
from senseslens.paper.probes import (
    MAJORITY_PCT,
    PEAK_LAYER,
    PROBES,
    TEXT_BASELINES,
    PeakLayer,
    ProbeRow,
    TextBaseline,
    peak_layer_table,
    probe_table,
    text_baseline_table,
)
from senseslens.paper.provenance import PAPER, PaperRef, Source
from senseslens.paper.report import ReportError

__all__ = [
    "PAPER", "PaperRef", "Source",
    "MODELS", "MODEL_ORDER", "PaperModel", "match_model", "UnknownPaperModelError",
    "BEHAVIOR", "HUMAN", "FAILURE_MODES", "INTERFERENCE", "RUNNER_UP",
    "BehaviorRow", "InterferenceFact", "RunnerUpRate", "behavior_table",
    "PROBES", "PEAK_LAYER", "TEXT_BASELINES", "MAJORITY_PCT",
    "ProbeRow", "PeakLayer", "TextBaseline", "probe_table", "peak_layer_table",
    "text_baseline_table",
    "PGLA", "PGLA_AVERAGE_LABEL", "PglaResult", "pgla_table",
    "compare", "ComparisonResult", "ComparisonRow", "Tolerance", "ReportError",
]
