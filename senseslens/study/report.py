"""`report.md`: the study's headline numbers, readable, with the controls beside them."""

from __future__ import annotations

from typing import Any, Mapping


def _fmt(x: Any, suffix: str = "") -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.2f}{suffix}" if suffix else f"{x:.3f}"
    return f"{x}{suffix}"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return lines


def render_markdown(report: Mapping[str, Any]) -> str:
    """A markdown summary of ``report`` (the dict written to report.json)."""
    out = [f"# senseslens study: {report.get('model', '')}", ""]
    out.append(f"{report.get('n_items', '?')} items, {report.get('n_layers', '?')} layers; layer i = output of decoder block i (0-based). Accuracies in percent.")
    b = report.get("behavior")
    if b:
        out += ["", "## Behaviour (2×2 design)", ""]
        out += _table(["std_v", "std_a", "mis_v", "mis_a", "Bal", "false reject", "mode"],
                      [[_fmt(b.get(k), "%") for k in ("std_v", "std_a", "mis_v", "mis_a", "bal", "false_reject")] + [b.get("mode")]])
        if b.get("runner_up"):
            out += ["", "Reject option as runner-up: " + ", ".join(f"{k} {_fmt(v, '%')}" for k, v in b["runner_up"].items())]
    p = report.get("probe")
    if p:
        out += ["", f"## Probes (last prompt token, best layer {p.get('best_layer')})", ""]
        rows = []
        for m in ("vision", "audio"):
            r = p.get(m)
            if r:
                rows.append([m, _fmt(r.get("accuracy"), "%"), _fmt(r.get("auroc")), _fmt(r.get("majority"), "%"),
                             _fmt(r.get("shuffle_accuracy"), "%"), _fmt(r.get("control_task_accuracy"), "%"), _fmt(r.get("tfidf_accuracy"), "%"),
                             _fmt(r.get("sbert_accuracy"), "%"), _fmt(r.get("residualised_accuracy"), "%")])
        out += ["The paper's probes: all standard items vs the misleading items of one modality (majority 66.7%); controls are accuracies on the same items and folds.", ""]
        out += _table(["probe", "accuracy", "AUROC", "majority", "shuffle", "control task", "TF-IDF", "SBERT", "residualised"], rows)
        enc = {k: v for k, v in (p.get("encoder_baseline") or {}).items() if isinstance(v, dict)}
        if enc:
            out += ["", "Perception baseline (per-detail probes on the encoder output, out of fold; score = 1 − P(named detail present)): "
                    + ", ".join(f"{k} AUROC {_fmt(v.get('auroc'))}" for k, v in enc.items())]
        cs = p.get("clip_swap")
        if cs:
            out += ["", f"Clip swap (same question, another clip; layer {cs.get('layer')}): the probe's decision flips on {_fmt(cs.get('flip_rate'))} of items; "
                    f"accuracy against the swapped premise {_fmt(cs.get('accuracy_swapped'), '%')} (AUROC {_fmt(cs.get('auroc_swapped'))})."]
    g = report.get("gap")
    if g:
        out += ["", "## Gap: probe vs the model's own reject margin (threshold-free)", "",
                "Both scored on the same held-out items of one modality (its standard and misleading items); "
                "margin = max(L_E, L_F) − max(L_A..L_D).", ""]
        rows = []
        for m in ("vision", "audio"):
            r = g.get(m)
            if isinstance(r, dict):
                ci = g.get("cis", {}).get(m, {}).get("auroc_gap", {})
                rows.append([m, _fmt(r.get("probe_auroc")), _fmt(r.get("margin_auroc")), _fmt(r.get("auroc_gap")),
                             f"[{_fmt(ci.get('low'))}, {_fmt(ci.get('high'))}]" if ci else "–"])
        out += _table(["modality", "probe AUROC", "own-margin AUROC", "gap", "95% CI (clips)"], rows)
        out += ["", f"Items the probe flags but the model does not reject: {g.get('knows_not_says', '–')}."]
    for key, title in (("pgla", "PGLA"), ("constant_bias", "Constant-bias baseline (same protocol, probe replaced by a constant)")):
        sec = report.get(key)
        if key == "pgla" and sec:
            sec = sec.get("pgla", {})
        if sec:
            out += ["", f"## {title}", ""]
            out += _table(["budget", "Bal before", "Bal after", "ΔBal", "std after", "mis after"],
                          [[bud, _fmt(r.get("bal_before_pct"), "%"), _fmt(r.get("bal_after_pct"), "%"), _fmt(r.get("delta_bal_pct"), " pt"),
                            _fmt(r.get("std_after_pct"), "%"), _fmt(r.get("mis_after_pct"), "%")] for bud, r in sec.items()])
    for key in ("lens", "patching", "knockout", "steering"):
        if report.get(key):
            out += ["", f"## {key.capitalize()}", "", "```", _compact(report[key]), "```"]
    t = report.get("timings")
    if t:
        out += ["", "## Timings (s)", "", ", ".join(f"{k} {v:.1f}" for k, v in t.items())]
    figs = report.get("figures")
    if figs:
        out += ["", "## Figures", ""] + [f"![{f}](figures/{f})" for f in figs]
    return "\n".join(out) + "\n"


def _compact(section: Any) -> str:
    import json

    return json.dumps(section, indent=1)[:3000]
