"""Reading a study report (``report.json``) into flat, unit-checked measurements.

A report is a dict (or a JSON file holding one) with these keys, all optional except one
of ``model`` / an explicit model name given to :func:`senseslens.paper.compare`:

.. code-block:: text

    model     checkpoint name, e.g. "Qwen/Qwen2.5-Omni-7B"
    behavior  {std_v, std_a, mis_v, mis_a, bal, mode}      accuracies in percent
    probe     {"vision": {"acc", "auroc"}, "audio": {...}, "best_layer": int,
               "per_layer": [...], "controls": {name: number | {"vision", "audio"}}}
    pgla      {"bal_before", "bal_after", "delta", "budgets": {"3pt": {...}, "1pt": {...}},
               "constant_bias": {"bal_before", "bal_after"} | {"delta"}}
    ci        bootstrap CIs, see below

``probe.per_layer`` is accepted but not compared: the paper publishes no per-layer curve.

Units: behaviour and PGLA values are percent. Probe accuracies / AUROCs may be fractions or
percent: a value ≤ 1 is read as a fraction and multiplied by 100 (a probe accuracy below
1 % is not a meaningful result, so the rule is unambiguous in practice). A top-level
``"units": "fraction"`` declares every rate a fraction.

CIs (``[lo, hi]`` in the unit of the value) are looked up, first hit wins, at
``report["ci"][block][key]...`` mirroring the value's path (e.g. ``ci.behavior.std_v``,
``ci.probe.vision.acc`` or ``ci.probe.vision``), at ``report["ci"]["behavior.std_v"]``,
next to the value as ``<key>_ci`` (``behavior.std_v_ci``, ``probe.vision.acc_ci``), or in
the value's block under ``"ci"`` (``behavior.ci.std_v``, ``probe.vision.ci``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from senseslens.errors import DataError

__all__ = ["ReportError", "Measurement", "load_report", "read_measurements", "normalise_mode",
           "normalise_budget"]


class ReportError(DataError):
    """A study report is missing, unreadable, or holds values of the wrong type."""


@dataclass(frozen=True)
class Measurement:
    """One value read from a report, in the paper's unit (percent, points or layer)."""

    figure: str
    metric: str
    value: float | int | str
    ci: tuple[float, float] | None = None
    note: str = ""


def from_study(report: Mapping[str, Any]) -> dict[str, Any]:
    """Map a ``senseslens.study`` report.json onto the schema above (a copy).

    The study writes probe accuracies as ``probe.<modality>.accuracy`` (percent) and PGLA
    as ``pgla.pgla.<budget>.{bal_before_pct, bal_after_pct}`` with the constant-bias
    baseline at ``constant_bias.<budget>``. Reports already in the schema pass unchanged.
    """
    out = dict(report)
    section = report.get("pgla")
    if not (isinstance(section, Mapping) and isinstance(section.get("pgla"), Mapping)):
        return out
    probe = {k: dict(v) if isinstance(v, Mapping) else v for k, v in (report.get("probe") or {}).items()}
    for mod in ("vision", "audio"):
        if isinstance(probe.get(mod), dict) and "acc" not in probe[mod] and "accuracy" in probe[mod]:
            probe[mod]["acc"] = probe[mod]["accuracy"]
    out["probe"] = probe
    rows = section["pgla"]
    top = rows.get("unconstrained", {})
    pgla: dict[str, Any] = {"bal_before": top.get("bal_before_pct"), "bal_after": top.get("bal_after_pct"), "budgets": {}}
    for budget in ("3pt", "1pt"):
        if budget in rows:
            pgla["budgets"][budget] = {"bal_before": rows[budget].get("bal_before_pct"), "bal_after": rows[budget].get("bal_after_pct")}
    const = (report.get("constant_bias") or {}).get("unconstrained")
    if isinstance(const, Mapping):
        pgla["constant_bias"] = {"bal_before": const.get("bal_before_pct"), "bal_after": const.get("bal_after_pct")}
    out["pgla"] = pgla
    return out


def load_report(report: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """Return the report as a dict; ``report`` may be a dict or a path to a JSON file.

    Study reports (``senseslens.study``) are mapped onto the schema by `from_study`.
    """
    if isinstance(report, Mapping):
        return from_study(report)
    if isinstance(report, (str, Path)):
        path = Path(report)
        if not path.is_file():
            raise ReportError(
                f"report path {str(path)!r} is not a file; pass the path of report.json or "
                "the report dict itself."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ReportError(f"cannot read report {str(path)!r} as JSON ({exc}); "
                              "check the file is the study's report.json.") from exc
        if not isinstance(data, dict):
            raise ReportError(f"report {str(path)!r} holds a {type(data).__name__}, not a "
                              "JSON object; the study writes one object per report.")
        return from_study(data)
    raise ReportError(f"report must be a dict or a path, got {type(report).__name__}; pass "
                      "the dict a study returns or the path of its report.json.")


def normalise_mode(mode: Any) -> str | None:
    """Map spellings like ``"under"``, ``"under_rejection"`` to the paper's labels."""
    if mode is None:
        return None
    text = re.sub(r"[^a-z]", "", str(mode).lower())
    if text.startswith("under"):
        return "under-rejection"
    if text.startswith("over"):
        return "over-rejection"
    return str(mode)


def normalise_budget(key: Any) -> str:
    """``"3"``, ``"3pt"``, ``"<=3"``, ``3`` → ``"3pt"``; ``"none"`` → ``"unconstrained"``."""
    text = str(key).strip().lower()
    if text in {"unconstrained", "none", "inf", "infinity", "free", "all"}:
        return "unconstrained"
    digits = re.findall(r"\d+(?:\.\d+)?", text)
    if len(digits) == 1:
        number = float(digits[0])
        return f"{int(number)}pt" if number.is_integer() else f"{number:g}pt"
    return text


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReportError(f"report field {where} should be a number, got {value!r}; "
                          "write plain numbers (percent) in report.json.")
    out = float(value)
    if math.isnan(out):
        raise ReportError(f"report field {where} is NaN; drop the field if it was not measured.")
    return out


def _pair(value: Any) -> tuple[float, float] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        lo, hi = float(value[0]), float(value[1])
        return (min(lo, hi), max(lo, hi))
    return None


def _dig(tree: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(tree, Mapping) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _find_ci(report: Mapping[str, Any], path: tuple[str, ...]) -> tuple[float, float] | None:
    ci_tree = report.get("ci")
    parent, last = path[:-1], path[-1]
    candidates = [
        _dig(ci_tree, path),
        _dig(ci_tree, (".".join(path),)),
        _dig(report, (*parent, f"{last}_ci")),
        _dig(report, (*parent, "ci", last)),
    ]
    if last == "acc":  # probe.vision.ci as a bare pair, ci.probe.vision as a bare pair
        candidates += [_dig(report, (*parent, "ci")), _dig(ci_tree, parent)]
    for cand in candidates:
        pair = _pair(cand)
        if pair is not None:
            return pair
    return None


def _rate(value: float, scale: float, auto_fraction: bool) -> float:
    if auto_fraction and value <= 1.0:
        return value * 100.0
    return value * scale


def read_measurements(report: Mapping[str, Any]) -> list[Measurement]:
    """Every comparable value of ``report`` as :class:`Measurement` (paper units)."""
    units = str(report.get("units", "percent")).lower()
    if units not in {"percent", "fraction"}:
        raise ReportError(f"report 'units' is {units!r}; use 'percent' (default) or 'fraction'.")
    scale = 100.0 if units == "fraction" else 1.0
    out: list[Measurement] = []

    def add(figure: str, metric: str, path: tuple[str, ...], *, auto: bool = False,
            layer: bool = False) -> None:
        raw = _dig(report, path)
        if raw is None:
            return
        where = ".".join(path)
        value = _number(raw, where)
        ci = _find_ci(report, path)
        if layer and value.is_integer():
            value = int(value)
        if not layer:
            value = _rate(value, scale, auto)
            if ci is not None:
                ci = (_rate(ci[0], scale, auto and ci[1] <= 1.0),
                      _rate(ci[1], scale, auto and ci[1] <= 1.0))
        out.append(Measurement(figure, metric, value, ci))

    behavior = report.get("behavior") or {}
    for cell in ("std_v", "std_a", "mis_v", "mis_a", "bal"):
        add("behavior_cells", cell, ("behavior", cell))
    cells = [behavior.get(c) for c in ("std_v", "std_a", "mis_v", "mis_a")]
    if behavior.get("bal") is None and all(isinstance(c, (int, float)) for c in cells):
        v = [float(c) * scale for c in cells]
        out.append(Measurement("behavior_cells", "bal", 0.5 * ((v[0] + v[1]) / 2 + (v[2] + v[3]) / 2),
                               note="computed from the report's four cells"))
    if behavior.get("mode") is not None:
        out.append(Measurement("behavior_cells", "mode", normalise_mode(behavior["mode"])))

    for mod in ("vision", "audio"):
        if isinstance(_dig(report, ("probe", mod)), (int, float)):
            add("probe", f"{mod}.acc", ("probe", mod), auto=True)
            continue
        add("probe", f"{mod}.acc", ("probe", mod, "acc"), auto=True)
        add("probe", f"{mod}.auroc", ("probe", mod, "auroc"), auto=True)
    add("probe", "best_layer", ("probe", "best_layer"), layer=True)
    controls = _dig(report, ("probe", "controls")) or {}
    for name, entry in controls.items():
        if isinstance(entry, Mapping):
            for mod in ("vision", "audio"):
                sub = entry.get(mod)
                key = ("probe", "controls", name, mod)
                if isinstance(sub, Mapping):
                    key = (*key, "acc")
                add("probe", f"controls.{name}.{mod}", key, auto=True)
        else:
            add("probe", f"controls.{name}", ("probe", "controls", name), auto=True)

    pgla = report.get("pgla") or {}
    add("pgla", "bal_before", ("pgla", "bal_before"))
    add("pgla", "bal_after", ("pgla", "bal_after"))
    _add_delta(out, report, pgla, ("pgla",), "delta_bal.unconstrained", scale)
    for key, entry in (pgla.get("budgets") or {}).items():
        budget = normalise_budget(key)
        path = ("pgla", "budgets", str(key))
        if isinstance(entry, (int, float)) and not isinstance(entry, bool):
            entry = {"bal_before": pgla.get("bal_before"), "bal_after": entry}
        _add_delta(out, report, entry, path, f"delta_bal.{budget}", scale)
    if isinstance(pgla.get("constant_bias"), Mapping):
        _add_delta(out, report, pgla["constant_bias"], ("pgla", "constant_bias"),
                   "constant_bias.delta_bal", scale)
    return out


def _add_delta(out: list[Measurement], report: Mapping[str, Any], block: Any,
               path: tuple[str, ...], metric: str, scale: float) -> None:
    """ΔBal (points) from ``block["delta"]`` if given, else ``bal_after − bal_before``.

    A bare number under ``pgla.budgets`` is read as that budget's ``bal_after``, paired with
    the top-level ``pgla.bal_before``.
    """
    if not isinstance(block, Mapping):
        return
    where = ".".join(path)
    ci = _find_ci(report, (*path, "delta"))
    if ci is not None:
        ci = (ci[0] * scale, ci[1] * scale)
    if block.get("delta") is not None:
        value = _number(block["delta"], f"{where}.delta") * scale
        out.append(Measurement("pgla", metric, value, ci))
    elif block.get("bal_before") is not None and block.get("bal_after") is not None:
        before = _number(block["bal_before"], f"{where}.bal_before") * scale
        after = _number(block["bal_after"], f"{where}.bal_after") * scale
        out.append(Measurement("pgla", metric, after - before, ci, note="bal_after − bal_before"))
