"""Behaviour on the 2x2 design: per-cell accuracy, Bal, failure mode, runner-up rate.

Accuracy of a cell is the fraction of its items whose predicted label equals the
gold label of the prompt variant; an unparseable reply counts as wrong (and is
counted in ``unparseable``). ``Bal = 1/2 * (mean(std_v, std_a) + mean(mis_v, mis_a))``.

Failure mode (all quantities in percent; ``std = mean(std_v, std_a)``,
``mis = mean(mis_v, mis_a)``, ``false_reject`` = share of standard items answered
with a reject label, E or F in the letter variants, FALSE in the binary ones):

* ``"under-rejection"`` if ``std - mis >= UNDER_REJECTION_GAP`` (20 points): false
  premises are accepted far more often than standard questions are answered;
* else ``"over-rejection"`` if ``false_reject >= OVER_REJECTION_FALSE_REJECT`` (15 %):
  rejection is bought with standard items. Without ``false_reject`` (published
  tables), the proxy ``mis > std`` is used instead;
* else ``"balanced"``; ``"undetermined"`` when a cell is empty.

On the paper's Table (fixed order) the seven open models come out as
under-rejection, Qwen3-Omni and Gemini 3.1 Pro as over-rejection (proxy), the
human row as balanced.

Runner-up rate (needs choice logits): among misleading (resp. standard) items, the
share whose second-highest choice logit is the reject label of the item's own
modality.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from jaxtyping import Bool, Float

from ..data.attach import MEDIA_KINDS
from ..data.benchmark import CELLS
from ..data.items import Item
from ..data.parsing import UNPARSEABLE, parse_answer
from ..data.prompt import Prompt
from ..data.prompts import PromptVariant, build_prompt, get_variant, option_texts
from ..data.scoring import TRUE_FALSE_ALIASES, choice_logits, label_token_ids
from ..errors import AnalysisError

UNDER_REJECTION_GAP = 20.0
OVER_REJECTION_FALSE_REJECT = 15.0


def failure_mode(
    std_v: float, std_a: float, mis_v: float, mis_a: float, false_reject: float | None = None
) -> str:
    """The failure-mode label from per-cell accuracies in percent (rule in the module docstring)."""
    vals = np.array([std_v, std_a, mis_v, mis_a], dtype=float)
    if np.isnan(vals).any():
        return "undetermined"
    std, mis = vals[:2].mean(), vals[2:].mean()
    if std - mis >= UNDER_REJECTION_GAP:
        return "under-rejection"
    over = mis > std if false_reject is None or np.isnan(false_reject) else false_reject >= OVER_REJECTION_FALSE_REJECT
    return "over-rejection" if over else "balanced"


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields explicitly
class BehaviorResult:
    """Per-item answers and the per-cell summary. Fractions in [0, 1]; ``to_dataframe`` gives percent.

    ``choice_logits`` is ``[N, len(labels)]`` (None when scored from text), rows in
    ``item_ids`` order.
    """

    model_name: str
    variant: str
    labels: tuple[str, ...]
    item_ids: tuple[str, ...]
    cells: tuple[str, ...]
    golds: tuple[str, ...]
    predictions: tuple[str, ...]
    accuracy: Mapping[str, float]
    n: Mapping[str, int]
    unparseable: Mapping[str, int]
    bal: float
    false_reject: float
    failure_mode: str
    runner_up: Mapping[str, float] | None = None
    choice_logits: Float[np.ndarray, "n_items n_labels"] | None = None
    texts: tuple[str, ...] | None = None

    @property
    def correct(self) -> Bool[np.ndarray, " n_items"]:
        return np.array([p == g for p, g in zip(self.predictions, self.golds)], dtype=bool)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per cell and one ``bal`` row: ``model, variant, cell, accuracy_pct, n, n_unparseable``."""
        rows = [{"model": self.model_name, "variant": self.variant, "cell": c,
                 "accuracy_pct": 100.0 * self.accuracy[c], "n": self.n[c], "n_unparseable": self.unparseable[c]}
                for c in CELLS]
        rows.append({"model": self.model_name, "variant": self.variant, "cell": "bal",
                     "accuracy_pct": 100.0 * self.bal, "n": sum(self.n.values()),
                     "n_unparseable": sum(self.unparseable.values())})
        return pd.DataFrame(rows)

    def per_item(self) -> pd.DataFrame:
        """One row per item: ``item_id, cell, gold, prediction, correct`` (+ ``logit_<label>``)."""
        df = pd.DataFrame({"item_id": self.item_ids, "cell": self.cells, "gold": self.golds,
                           "prediction": self.predictions, "correct": self.correct})
        if self.choice_logits is not None:
            for j, lab in enumerate(self.labels):
                df[f"logit_{lab}"] = self.choice_logits[:, j]
        if self.texts is not None:
            df["text"] = self.texts
        return df

    def summary(self) -> dict[str, Any]:
        """Headline numbers in percent, plus the failure mode and runner-up rates."""
        out: dict[str, Any] = {c: 100.0 * self.accuracy[c] for c in CELLS}
        out.update(bal=100.0 * self.bal, false_reject=100.0 * self.false_reject, failure_mode=self.failure_mode,
                   unparseable=sum(self.unparseable.values()))
        if self.runner_up is not None:
            out.update({f"runner_up_{k}": 100.0 * v for k, v in self.runner_up.items()})
        return out

    def plot(self, ax: Any = None) -> Any:
        """Bar chart of the four cells and Bal (delegates to ``senseslens.figures.cells.plot_cells``)."""
        from ..figures.cells import plot_cells

        return plot_cells(self.to_dataframe(), ax=ax)


def _text_prompts(items: Sequence[Item], variant: PromptVariant, seed: int) -> list[Prompt]:
    return [variant.build(it, seed=seed) for it in items]


def _summarise(items: Sequence[Item], prompts: Sequence[Prompt], variant: PromptVariant,
               predictions: Sequence[str], model_name: str, logits: np.ndarray | None,
               texts: Sequence[str] | None) -> BehaviorResult:
    golds = [variant.gold_for(it, p) for it, p in zip(items, prompts)]
    cells = [it.cell for it in items]
    correct = np.array([pr == g for pr, g in zip(predictions, golds)], dtype=bool)
    unp = np.array([pr == UNPARSEABLE for pr in predictions], dtype=bool)
    cell_arr = np.array(cells)
    n = {c: int((cell_arr == c).sum()) for c in CELLS}
    acc = {c: float(correct[cell_arr == c].mean()) if n[c] else float("nan") for c in CELLS}
    unparseable = {c: int(unp[cell_arr == c].sum()) for c in CELLS}
    bal = 0.5 * (np.mean([acc["std_v"], acc["std_a"]]) + np.mean([acc["mis_v"], acc["mis_a"]]))
    std_mask = np.array([not it.is_misleading for it in items], dtype=bool)
    rejected = np.array([pr in variant.reject_labels(p) for pr, p in zip(predictions, prompts)], dtype=bool)
    false_reject = float(rejected[std_mask].mean()) if std_mask.any() else float("nan")
    mode = failure_mode(*(100.0 * acc[c] for c in CELLS), false_reject=100.0 * false_reject)
    runner = None
    if logits is not None and variant.answer_kind != "true_false":
        second = np.argsort(-logits, axis=1, kind="stable")[:, 1]
        hit = np.array([variant.labels[s] == variant.reject_for(it, p)
                        for s, it, p in zip(second, items, prompts)], dtype=bool)
        runner = {"misleading": float(hit[~std_mask].mean()) if (~std_mask).any() else float("nan"),
                  "standard": float(hit[std_mask].mean()) if std_mask.any() else float("nan")}
    return BehaviorResult(
        model_name=model_name, variant=variant.name, labels=variant.labels,
        item_ids=tuple(it.item_id for it in items), cells=tuple(cells), golds=tuple(golds),
        predictions=tuple(predictions), accuracy=acc, n=n, unparseable=unparseable, bal=float(bal),
        false_reject=false_reject, failure_mode=mode, runner_up=runner, choice_logits=logits,
        texts=None if texts is None else tuple(texts),
    )


def score_choices(
    items: Sequence[Item],
    choice_logits: Float[Any, "n_items n_labels"],
    *,
    model_name: str = "model",
    variant: str | PromptVariant = "A1",
    seed: int = 0,
    prompts: Sequence[Prompt] | None = None,
) -> BehaviorResult:
    """Score choice logits ``[N, len(variant.labels)]`` (columns in label order; argmax = answer)."""
    items = list(items)
    v = get_variant(variant)
    logits = np.asarray(choice_logits.detach().cpu() if hasattr(choice_logits, "detach") else choice_logits,
                        dtype=np.float64)
    if logits.shape != (len(items), len(v.labels)):
        raise AnalysisError(f"choice_logits must be [{len(items)}, {len(v.labels)}] for variant {v.name!r} "
                            f"(labels {v.labels}), got {logits.shape}.")
    if not items:
        raise AnalysisError("no items to score.")
    prompts = list(prompts) if prompts is not None else _text_prompts(items, v, seed)
    preds = [v.labels[j] for j in np.argmax(logits, axis=1)]
    return _summarise(items, prompts, v, preds, model_name, logits, None)


def score_generations(
    items: Sequence[Item],
    texts: Sequence[str],
    *,
    model_name: str = "model",
    variant: str | PromptVariant = "A1",
    seed: int = 0,
    prompts: Sequence[Prompt] | None = None,
) -> BehaviorResult:
    """Score generated replies: parse each (MMMU-style or TRUE/FALSE) and compare with the gold."""
    items, texts = list(items), list(texts)
    if len(items) != len(texts) or not items:
        raise AnalysisError(f"need one reply per item, got {len(texts)} replies for {len(items)} items.")
    v = get_variant(variant)
    prompts = list(prompts) if prompts is not None else _text_prompts(items, v, seed)
    preds = []
    for it, p, t in zip(items, prompts, texts):
        shown = None
        if v.answer_kind != "true_false":
            src = dict(zip("ABCDEF", option_texts(it)))
            shown = [src[s] for s in p.meta["option_order"]]
        preds.append(parse_answer(t, v.answer_kind, shown))
    return _summarise(items, prompts, v, preds, model_name, None, texts)


def behavior(
    model: Any,
    benchmark: Sequence[Item],
    variant: str | PromptVariant = "A1",
    batch_size: int = 8,
    progress: bool = True,
    *,
    seed: int = 0,
    n_frames: int = 50,
    media: Sequence[str] = MEDIA_KINDS,
) -> BehaviorResult:
    """Run ``model`` on every item and score its next-token choice logits.

    Uses only ``model.encode(prompts) -> batch``, ``model.run(batch).logits`` (``[B, V]``
    at the last prompt token), ``model.tokenizer`` and ``model.name``. Variants that
    need generated text (``A5``, ``cot``) raise `AnalysisError`: generate and use
    `score_generations` instead.
    """
    v = get_variant(variant)
    if v.needs_generation:
        raise AnalysisError(f"variant {v.name!r} is scored from generated text; generate replies and call "
                            "score_generations(items, texts, variant=...) instead.")
    if batch_size < 1:
        raise AnalysisError(f"batch_size must be >= 1, got {batch_size}.")
    items = list(benchmark)
    if not items:
        raise AnalysisError("the benchmark is empty.")
    aliases = TRUE_FALSE_ALIASES if v.answer_kind == "true_false" else None
    ids = label_token_ids(model.tokenizer, v.labels, aliases=aliases)
    import torch

    starts = range(0, len(items), batch_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=f"behaviour {getattr(model, 'name', 'model')} [{v.name}]", unit="batch")
    rows, text_prompts = [], []
    for s in starts:
        chunk = items[s : s + batch_size]
        prompts = [build_prompt(it, v, seed, n_frames=n_frames, media=media) for it in chunk]
        with torch.no_grad():
            logits = model.run(model.encode(prompts)).logits
        if tuple(logits.shape[:1]) != (len(chunk),) or logits.ndim != 2:
            raise AnalysisError(f"model.run(batch).logits must be [B={len(chunk)}, V], got {tuple(logits.shape)}.")
        rows.append(np.asarray(choice_logits(logits, ids).detach().cpu(), dtype=np.float64))
        text_prompts.extend(replace(p, images=(), videos=(), audios=()) for p in prompts)  # drop media
    return score_choices(items, np.concatenate(rows), model_name=str(getattr(model, "name", "model")),
                         variant=v, seed=seed, prompts=text_prompts)
