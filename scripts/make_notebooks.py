"""Write the tutorial notebooks under notebooks/ (their source of truth is this file).

    python scripts/make_notebooks.py

Each notebook runs on the shipped organism in about a minute or less and is executed
by the test suite (pytest --nbmake). Seeds are fixed, so outputs are deterministic.
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parents[1] / "notebooks"

SETUP = """\
import os
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
torch.set_num_threads(1)
torch.manual_seed(0)
import numpy as np
import matplotlib.pyplot as plt
import senseslens as sl"""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_quickstart.ipynb": [
        ("md", "# Quick start\n\nLoad the shipped model organism, look at where each modality sits in the sequence, read the residual stream, and score behaviour in the paper's 2×2 design."),
        ("code", SETUP),
        ("code", "model = sl.load_organism()\nmodel"),
        ("code", "model.describe()"),
        ("md", "A synthetic IMAVB: each clip has an image and an audio track, and four questions (standard / misleading × vision / audio). Misleading items name an absent object or sound; the right answer is the reject option of their modality (E vision, F audio)."),
        ("code", "bench = sl.data.synthetic_imavb(n_clips=100, seed=7)\nbench.to_dataframe().head(4)[['item_id', 'cell', 'question', 'gold']]"),
        ("md", "`encode` goes through the model's own processor and chat template; the spans say which positions are image, audio, question, options and the last prompt token."),
        ("code", "batch = model.encode([sl.data.build_prompt(item) for item in list(bench)[:2]])\nbatch.spans.to_dataframe()"),
        ("code", "site_last = sl.Site('resid', 1, 'last')\nsite_audio = sl.Site('resid', 1, 'audio')\nout = model.run(batch, capture=[site_last, site_audio])\n{str(s): tuple(v.shape) for s, v in out.captures.items()}"),
        ("md", "Behaviour: per-cell accuracy, balanced accuracy and the failure mode."),
        ("code", "result = sl.behavior(model, bench, progress=False)\nresult.to_dataframe()"),
        ("code", "result.plot();"),
    ],
    "02_probes_and_gap.ipynb": [
        ("md", "# Probes and the representation–action gap\n\nExtract the last-prompt-token residual at every layer, probe it for the false premise with controls, and compare the probe with the model's **own reject margin** on the same held-out items (threshold-free)."),
        ("code", SETUP + "\nimport tempfile"),
        ("code", "model = sl.load_organism()\nbench = sl.data.synthetic_imavb(n_clips=300, seed=11)\nstore = sl.extract(model, bench, out=tempfile.mkdtemp(), progress=False)\nstore"),
        ("code", "X = np.asarray(store.layer_matrix('last'), dtype=np.float32)\nmeta = store.meta.assign(question=[it.question for it in bench])\nprobes = sl.paper_probes(X, meta, controls=('shuffle', 'control_task', 'tfidf'), n_boot=1000)\n{name: res.at_layer() for name, res in probes.items()}"),
        ("code", "gap = sl.gap_report(probes, store.choice_logits, meta, n_boot=1000)\ngap.table[['modality', 'probe_auroc', 'margin_auroc', 'auroc_gap', 'auroc_gap_low', 'auroc_gap_high', 'behavior_pct']]"),
        ("code", "fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)\nfor ax, m in zip(axes, ('vision', 'audio')):\n    margin = float(gap.table.set_index('modality').loc[m, 'margin_auroc'])\n    probes[m].plot(ax=ax, metric='auroc', own_margin_auroc=margin)"),
        ("code", "gap.plot(kind='dumbbell');"),
        ("md", "Items the probe flags as mismatched although the model did not reject them (\"knows but does not say\"):"),
        ("code", "gap.knows_not_says.head()"),
    ],
    "03_pgla.ipynb": [
        ("md", "# Probe-guided logit adjustment (PGLA) against a constant bias\n\nThe paper's PGLA, with its 162-config grid and nested selection, beside the same protocol with the probe replaced by a constant. If the constant does as well, the probe adds nothing beyond moving the decision threshold."),
        ("code", SETUP + "\nimport tempfile"),
        ("code", "model = sl.load_organism()\nbench = sl.data.synthetic_imavb(n_clips=300, seed=11)\nstore = sl.extract(model, bench, out=tempfile.mkdtemp(), progress=False)\nX = np.asarray(store.layer_matrix('last'), dtype=np.float32)\nlayer = model.n_layers - 1"),
        ("code", "res = sl.pgla(store.choice_logits, X[:, layer].astype(np.float64), store.meta, probe_kinds=('linear',))\nres.summary[['method', 'budget', 'bal_before_pct', 'bal_after_pct', 'delta_bal_pct']]"),
        ("code", "res.plot(kind='pareto');"),
        ("code", "res.plot(kind='bars');"),
    ],
    "04_causal.ipynb": [
        ("md", "# Causal tools: where is the mismatch computed, and does injecting it close the gap?\n\nLogit lens (standard vs misleading), activation patching between twins (misleading values into the standard run), attention knockout of named flows, and steering along the probe direction against a random direction, an oracle direction and a constant reject bias."),
        ("code", SETUP + "\nimport tempfile"),
        ("code", "model = sl.load_organism()\nbench = sl.data.synthetic_imavb(n_clips=160, seed=5)\nitems = list(bench)\nheld_out = items[:160]   # 40 clips for the causal tools\nfit_on = items[160:]     # the steering probe is fitted on the other clips"),
        ("code", "lens = sl.logit_lens(model, held_out)\nlens.plot();"),
        ("code", "from senseslens.analysis.pairs import twin_pairs\npatching = sl.patch(model, twin_pairs(held_out), spans=('image', 'audio', 'question', 'options', 'last'), n_boot=200)\npatching.plot();"),
        ("code", "ko = sl.knockout(model, held_out, n_boot=200)\nko.plot();"),
        ("code", "store = sl.extract(model, fit_on, out=tempfile.mkdtemp(), progress=False)\nlayer = model.n_layers - 1\ny = (store.meta.premise == 'misleading').to_numpy().astype(int)\nprobe = sl.LinearProbe().fit(np.asarray(store.get('last', layer), dtype=np.float64), y)\nsteering = sl.steer(model, held_out, probe, layer=layer, alphas=(0, 2, 4, 8, 16))\nsteering.plot();"),
        ("code", "steering.to_dataframe().query('alpha in (0, 16)')[['method', 'alpha', 'closure', 'false_reject', 'bal']]"),
    ],
    "05_layer_browser.ipynb": [
        ("md", "# Layer browser\n\nPick an item, a layer and a span: the logit lens top tokens, the probe's held-out score, the image and audio with a per-token heat, and the answer probabilities. The last cell changes the controls from code, as a notebook user would with the mouse."),
        ("code", SETUP + "\nimport tempfile"),
        ("code", "model = sl.load_organism()\nbench = sl.data.synthetic_imavb(n_clips=120, seed=3)\nstore = sl.extract(model, bench, out=tempfile.mkdtemp(), progress=False)\nprobes = sl.paper_probes(np.asarray(store.layer_matrix('last'), dtype=np.float32), store.meta, controls=())"),
        ("code", "browser = sl.widgets.LayerBrowser(model, bench, probe=probes['global'])\nbrowser"),
        ("code", "browser.item.value = 3\nbrowser.layer.value = 0\nbrowser.span.value = 'audio'\nbrowser.state['answer']['output']"),
    ],
}


def build(name: str, cells: list[tuple[str, str]]) -> nbf.NotebookNode:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src) for kind, src in cells]
    return nb


def main() -> None:
    ROOT.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nbf.write(build(name, cells), ROOT / name)
        print("wrote", ROOT / name)


if __name__ == "__main__":
    main()
