"""The organism's 3-seed experiment: train (or load) each seed, evaluate on held-out items.

Usage::

    python -m senseslens.organism.experiments --seeds 0 1 2 --runs runs/organism --out runs/organism/table

Each seed is trained into ``RUNS/seed{S}`` unless that folder already holds a model.
Evaluation uses a fresh synthetic IMAVB (``--eval-clips`` clips, seed ``1000 + S``)
that shares no clip with training. Writes ``results.json`` and ``table.md``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


from ..data.synthetic import synthetic_imavb
from .build import build_organism
from .evaluate import CELLS, behaviour, gap_table, pgla_vs_constant, readout
from .train import Recipe, train

MODALITIES = ("vision", "audio")


def load_or_train(seed: int, runs: Path, recipe_kw: dict[str, Any]):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from . import SensesOrganismConfig  # noqa: F401  (registers the Auto classes)

    d = runs / f"seed{seed}"
    if (d / "model.safetensors").exists():
        info = json.loads((d / "training.json").read_text())
        return AutoModelForImageTextToText.from_pretrained(d).eval(), AutoProcessor.from_pretrained(d), info
    return train(Recipe(seed=seed, **recipe_kw), out=d)


def evaluate_seed(model, processor, seed: int, eval_clips: int) -> dict[str, Any]:
    """Behaviour, gap tables, PGLA vs constant and the untrained control for one model."""
    bench = synthetic_imavb(eval_clips, seed=1000 + seed)
    r = readout(model, processor, list(bench))
    res: dict[str, Any] = {"behaviour": behaviour(r)}
    untrained, _ = build_organism(seed + 777)
    ru = readout(untrained, processor, list(bench))
    for mod in MODALITIES:
        g = gap_table(r, mod)
        g["untrained_probe_best"] = max(gap_table(ru, mod)["probe"])
        g["pgla"] = pgla_vs_constant(r, mod, g["best_layer"])
        # cross-modal ablation: behaviour with the other medium removed
        res[mod] = g
    for name, kw in (("no_audio", {"audio": False}), ("no_video", {"image": False})):
        res[name] = behaviour(readout(model, processor, list(bench), **kw))
    return res


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def table(results: dict[int, dict[str, Any]], infos: dict[int, dict]) -> str:
    """Markdown tables over seeds."""
    seeds = sorted(results)
    lines = ["### Behaviour (accuracy, argmax over A-F, held-out items)", "",
             "| seed | std_v | std_a | mis_v | mis_a | Bal | false reject | no-audio mis_v | no-video mis_a | train s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s in seeds:
        b = results[s]["behaviour"]
        lines.append(f"| {s} | " + " | ".join(_fmt(b[c]) for c in (*CELLS, "Bal", "false_reject"))
                     + f" | {_fmt(results[s]['no_audio']['mis_v'])} | {_fmt(results[s]['no_video']['mis_a'])}"
                     + f" | {infos[s].get('wall_s', float('nan')):.0f} |")
    for mod in MODALITIES:
        n_layers = len(results[seeds[0]][mod]["probe"])
        heads = ["embed"] + [f"L{i}" for i in range(n_layers - 1)]
        lines += ["", f"### {mod}: mismatch AUROC (standard vs misleading {mod} items, grouped by clip)", "",
                  "| seed | " + " | ".join(f"probe {h}" for h in heads)
                  + " | own margin | gap (best probe - margin) | `no` logit | shuffled | untrained |",
                  "|---|" + "---|" * (n_layers + 5)]
        for s in seeds:
            g = results[s][mod]
            lines.append(f"| {s} | " + " | ".join(_fmt(v) for v in g["probe"])
                         + f" | {_fmt(g['margin'])} | {g['gap']:+.2f} | {_fmt(g['no_logit'])}"
                         + f" | {_fmt(g['shuffled'])} | {_fmt(g['untrained_probe_best'])} |")
        lines += ["", f"### {mod}: misleading rejected at <= 5% false rejection (test split)", "",
                  "| seed | untuned | constant bias | PGLA (lambda) | FR constant / PGLA |", "|---|---|---|---|---|"]
        for s in seeds:
            p = results[s][mod]["pgla"]
            lines.append(f"| {s} | {_fmt(p['none'])} | {_fmt(p['constant'])} | {_fmt(p['pgla'])} ({p['lambda']:g})"
                         f" | {_fmt(p['constant_fr'])} / {_fmt(p['pgla_fr'])} |")
    return "\n".join(lines)


def merge(runs: Path, seeds: list[int]) -> str:
    """Combine per-seed ``RUNS/table_s{S}/results.json`` (parallel runs) into one table."""
    results, infos = {}, {}
    for s in seeds:
        results[s] = json.loads((runs / f"table_s{s}" / "results.json").read_text())[str(s)]
        infos[s] = json.loads((runs / f"seed{s}" / "training.json").read_text())
    md = table(results, infos)
    (runs / "table.md").write_text(md + "\n")
    return md


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--runs", type=Path, default=Path("runs/organism"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--eval-clips", type=int, default=500)
    ap.add_argument("--recipe", type=json.loads, default={}, help="JSON overrides of Recipe fields")
    ap.add_argument("--merge", action="store_true", help="only merge per-seed results of parallel runs")
    args = ap.parse_args(argv)
    if args.merge:
        print(merge(args.runs, args.seeds))
        return
    out = args.out or args.runs / "table"
    out.mkdir(parents=True, exist_ok=True)
    results, infos = {}, {}
    for seed in args.seeds:
        model, processor, info = load_or_train(seed, args.runs, args.recipe)
        infos[seed] = info
        results[seed] = evaluate_seed(model, processor, seed, args.eval_clips)
        (out / "results.json").write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))
        print(table({seed: results[seed]}, {seed: info}), flush=True)
    md = table(results, infos)
    (out / "table.md").write_text(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
