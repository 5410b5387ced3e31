"""`study(model, benchmark, out)`: the whole "Senses Wide Shut" study as one call.

Behaviour in the 2×2 design, layerwise probes with every control, the gap against the
model's own reject margin, cross-modal ablations, the clip-swap control, PGLA beside a
constant-bias baseline, and the causal tools; written as ``report.json``,
``report.md`` and figures. Extractions are resumable stores under ``out``, so a
crashed study restarts where it stopped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from ..errors import SensesLensError
from .config import StudyConfig
from .figures import write_figures
from .report import render_markdown
from .steps import (
    StudyState,
    step_ablations,
    step_behavior,
    step_clip_swap,
    step_encoder_baseline,
    step_extract,
    step_gap,
    step_pgla,
    step_probes,
)

#: (name, function, config flag that enables it or None)
STEPS: tuple[tuple[str, Callable[[StudyState], None], str | None], ...] = (
    ("extract", step_extract, None),
    ("behavior", step_behavior, None),
    ("probes", step_probes, None),
    ("encoder_baseline", step_encoder_baseline, "encoder_baseline"),
    ("ablations", step_ablations, "ablations"),
    ("gap", step_gap, None),
    ("clip_swap", step_clip_swap, "clip_swap"),
    ("pgla", step_pgla, None),
)


@dataclass(frozen=True)
class StudyResult:
    """What `study` produced: the report dict, result objects by name, and where files are."""

    report: Mapping[str, Any]
    results: Mapping[str, Any]
    out: Path

    def to_dataframe(self) -> pd.DataFrame:
        """Headline numbers, one row per (section, metric)."""
        rows = []
        for section in ("behavior", "own_margin_auroc"):
            for k, v in (self.report.get(section) or {}).items():
                if isinstance(v, (int, float)) or v is None:
                    rows.append({"section": section, "metric": k, "value": v})
        for m in ("vision", "audio"):
            for k, v in (self.report.get("probe", {}).get(m) or {}).items():
                rows.append({"section": f"probe_{m}", "metric": k, "value": v})
        return pd.DataFrame(rows, columns=["section", "metric", "value"])

    def plot(self, kind: str = "behavior", ax: Any = None) -> Any:
        """Draw one of the study's figures: behavior, probes, pgla, lens, patching, knockout, steering."""
        if kind == "probes":
            return self.results["probes"]["global"].plot(ax=ax)
        if kind not in self.results:
            raise SensesLensError(f"no {kind!r} result in this study; available: {sorted(k for k in self.results if not k.startswith('_'))}")
        return self.results[kind].plot(ax=ax)


def study(
    model: Any,
    benchmark: Sequence[Any],
    out: str | Path,
    *,
    config: StudyConfig | None = None,
    progress: bool = True,
    extra_steps: Sequence[tuple[str, Callable[[StudyState], None]]] = (),
) -> StudyResult:
    """Run the whole study of ``model`` on ``benchmark`` and write it under ``out``.

    Files: ``report.json`` (machine-readable: behavior, probe, own_margin_auroc, gap,
    pgla, constant_bias, causal sections, timings), ``report.md``, ``figures/*.png``,
    and the activation stores it extracted (reused when the call is repeated).
    """
    config = config or StudyConfig()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    items = list(getattr(benchmark, "items", benchmark))
    state = StudyState(model=model, items=items, out=out, config=config, progress=progress)
    timings: dict[str, float] = {}
    plan = [(n, f) for n, f, flag in STEPS if flag is None or getattr(config, flag)] + list(extra_steps)
    if config.causal:
        from .causal import CAUSAL_STEPS

        plan += list(CAUSAL_STEPS)
    bar = _bar(len(plan), progress)
    for name, fn in plan:
        if bar is not None:
            bar.set_description(f"study: {name}")
        start = time.perf_counter()
        fn(state)
        timings[name] = round(time.perf_counter() - start, 2)
        _write(state, timings)  # nothing is lost if a later step fails
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if config.figures:
        start = time.perf_counter()
        state.report["figures"] = write_figures(state.results, state.report, out / "figures")
        timings["figures"] = round(time.perf_counter() - start, 2)
    _write(state, timings)
    return StudyResult(report=dict(state.report), results=dict(state.results), out=out)


def _bar(total: int, progress: bool) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="step")


def _write(state: StudyState, timings: Mapping[str, float]) -> None:
    state.report["timings"] = dict(timings)
    state.report["config"] = state.config.to_dict()
    (state.out / "report.json").write_text(json.dumps(state.report, indent=2, default=str))
    (state.out / "report.md").write_text(render_markdown(state.report))
