"""Benchmark registry: every module of this package with a ``run(quick) -> dict[str, dict]``.

``BENCHMARKS`` maps a module name (``extract``, ``probes``, ...) to a callable ``quick -> dict``
that imports the module only when called, so one broken or slow-to-import module never stops the
others. Each module returns one or more named entries; each entry is a dict with at least
``value`` (a number, usually a ratio) and, by convention, ``target`` (e.g. ``"<= 1.05"``),
``passed`` (bool or None) and ``unit``, beside its raw measurements (seconds, bytes, ...).

`run_all` runs them and merges the entries into one dict keyed by entry name (the JSON that
``senseslens bench`` and ``benchmarks/run.py`` write); `format_table` renders it.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable

__all__ = ["BENCHMARKS", "run_all", "format_table", "run_and_report"]


def _lazy(module: str) -> Callable[[bool], dict]:
    def run(quick: bool) -> dict:
        return importlib.import_module(f"{__name__}.{module}").run(quick)

    run.__name__ = f"run_{module}"
    run.__qualname__ = run.__name__
    return run


def _discover() -> dict[str, Callable[[bool], dict]]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return {name: _lazy(name) for name in names}


#: module name -> ``run(quick) -> {entry name: {"value": ..., ...}}`` (imported when called).
BENCHMARKS: dict[str, Callable[[bool], dict]] = _discover()


def run_all(quick: bool = False, only: Iterable[str] | None = None,
            log: Callable[[str], None] | None = print) -> dict[str, dict[str, Any]]:
    """Run the chosen modules (default all) and merge their entries.

    A module that raises yields one entry ``{module}: {"value": None, "error": ...}``; an entry
    name that two modules share is prefixed with the module name. Every entry gets
    ``module`` and ``seconds`` (wall time of its module).
    """
    chosen = list(BENCHMARKS) if only is None else list(only)
    unknown = [m for m in chosen if m not in BENCHMARKS]
    if unknown:
        raise KeyError(f"unknown benchmark module(s) {unknown}; known: {sorted(BENCHMARKS)}")
    results: dict[str, dict[str, Any]] = {}
    for module in chosen:
        if log:
            log(f"[bench] {module} ({'quick' if quick else 'full'}) ...")
        start = time.perf_counter()
        try:
            entries = dict(BENCHMARKS[module](quick))
        except Exception as err:  # noqa: BLE001 - report, keep going
            entries = {module: {"value": None, "passed": None,
                                "error": f"{type(err).__name__}: {err}",
                                "traceback": traceback.format_exc(limit=6)}}
        seconds = round(time.perf_counter() - start, 2)
        for name, entry in entries.items():
            entry = dict(entry) if isinstance(entry, dict) else {"value": entry}
            entry.setdefault("value", None)
            entry.update(module=module, seconds=seconds)
            results[f"{module}.{name}" if name in results else name] = entry
    return results


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "-" if v is None else str(v)


def format_table(results: dict[str, dict[str, Any]]) -> str:
    """A fixed-width table: name, value, target, passed, module, seconds, error (if any)."""
    rows = [("benchmark", "value", "target", "passed", "module", "s")]
    for name, e in results.items():
        passed = e.get("passed")
        rows.append((name, _fmt(e.get("value")), _fmt(e.get("target")),
                     "-" if passed is None else ("yes" if passed else "NO"), _fmt(e.get("module")),
                     _fmt(e.get("seconds"))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    errors = [f"  {n}: {e['error']}" for n, e in results.items() if e.get("error")]
    return "\n".join(lines + (["errors:", *errors] if errors else []))


def run_and_report(quick: bool = False, out: str | Path | None = None, only: Iterable[str] | None = None) -> dict:
    """`run_all`, print the table, and write the JSON object to ``out`` if given."""
    results = run_all(quick=quick, only=only)
    print(format_table(results))
    if out is not None:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=1, sort_keys=True, default=str))
        print(f"[bench] wrote {path}")
    return results
