"""Curriculum training of the organism on synthetic IMAVB, ending on the paper's A1 prompt.

Stages (`stages`): 0 micro prompts (media + the named object), 1 short prompts (chat
template + the question alone), 2 half short / half A1 prompts. In stages 0-2 a standard
item is answered with its content letter and a misleading item (fraction ``mis1``) with
the word ``no``, which is not one of the options (the premise check). Stage 3 (A1 only,
new optimiser): standard items answered with letters, misleading **vision** items with
``E`` (fraction ``reject_v``), misleading audio items with ``F`` only at fraction
``reject_a`` (0 by default: the audio reject skill is held out). Without the short
stages the tiny model does not learn to bind the question to the media in the budget.
Answer-only cross-entropy at the last prompt token.

Deterministic for a seed (fixed step counts, seeded data, one torch thread).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor

from ..data import synthetic as syn
from ..data.items import Item
from ..data.prompts import build_a1
from .build import build_organism
from .modeling import SensesOrganismForConditionalGeneration
from .processing import SensesOrganismProcessor


@dataclass(frozen=True)
class Recipe:
    """Everything that defines a training run (saved next to the weights)."""

    seed: int = 0
    steps_micro: int = 3000      # stage 0 steps (micro prompts: media + named object)
    steps0: int = 3000           # stage 1 steps (short prompts: the question alone)
    steps1: int = 1500           # stage 2 steps (short and A1 prompts)
    steps2: int = 300            # stage 3 steps (A1, reject option)
    batch_size: int = 128
    lr1: float = 2e-3
    lr2: float = 1e-3
    warmup: int = 100
    weight_decay: float = 0.01
    short1: float = 0.5          # stage 2: fraction of steps that use short prompts
    mis1: float = 0.2            # stages 0-2: fraction of misleading items (answer "no")
    reject_v: float = 0.04       # stage 3: fraction of misleading-vision items (answer "E")
    reject_a: float = 0.0        # stage 3: fraction of misleading-audio items (answer "F")
    n_clips: int = 8_000         # training pool
    pixel_noise: float = 0.04    # per-step Gaussian noise on pixel_values (robustness to video coding)
    arch: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pool:
    """Pre-tokenised training items. ``cell`` codes: 0 std_v, 1 std_a, 2 mis_v, 3 mis_a."""

    formats: dict[str, tuple[Int[Tensor, "n t"], Int[Tensor, "n t"]]]   # name -> (input_ids, attention_mask)
    clip_index: Int[Tensor, " n"]
    cell: Int[Tensor, " n"]
    gold: Int[Tensor, " n"]                 # token id of the gold letter (A-F)
    pixel_values: Float[Tensor, "c 3 s s"]  # per clip
    input_features: Float[Tensor, "c bins frames"]


CELL_CODE = {"std_v": 0, "std_a": 1, "mis_v": 2, "mis_a": 3}
REJECT_STAGE = 3


def stages(recipe: "Recipe") -> list[tuple[int, int, float, dict[str, float]]]:
    """(stage, steps, lr, prompt-format mixture) in training order."""
    return [(0, recipe.steps_micro, recipe.lr1, {"micro": 1.0}),
            (1, recipe.steps0, recipe.lr1, {"short": 1.0}),
            (2, recipe.steps1, recipe.lr1, {"short": recipe.short1, "a1": 1.0 - recipe.short1}),
            (REJECT_STAGE, recipe.steps2, recipe.lr2, {"a1": 1.0})]


def chat_text(processor: SensesOrganismProcessor, prompt_text: str, image: bool = True, audio: bool = True) -> str:
    """The organism's chat rendering of one A1 user turn (media placeholders first)."""
    content: list[dict[str, str]] = ([{"type": "image"}] if image else []) + ([{"type": "audio"}] if audio else [])
    content.append({"type": "text", "text": prompt_text})
    return processor.apply_chat_template([{"role": "user", "content": content}],
                                         add_generation_prompt=True, tokenize=False)


def encode_items(processor: SensesOrganismProcessor, items: list[Item], image: bool = True,
                 audio: bool = True) -> dict[str, Tensor]:
    """Processor inputs (left padded) for A1 prompts of ``items``."""
    texts = [chat_text(processor, build_a1(it).text, image, audio) for it in items]
    return dict(processor(text=texts, images=[it.image for it in items] if image else None,
                          audio=[it.waveform for it in items] if audio else None,
                          return_tensors="pt", padding=True, padding_side="left"))


def make_pool(processor: SensesOrganismProcessor, n_clips: int, seed: int) -> Pool:
    """Render ``n_clips`` clips (4 items each) and tokenise them once."""
    rng = np.random.default_rng([seed, 7])
    clips = syn.synthetic_clips(n_clips, seed=seed, prefix="train")
    items: list[Item] = []
    clip_index: list[int] = []
    for c, clip in enumerate(clips):
        its = syn.clip_items(clip, rng)
        items += its
        clip_index += [c] * len(its)
    texts = [processor.expand(chat_text(processor, build_a1(it).text)) for it in items]
    enc = processor.tokenizer(texts, padding=True, padding_side="left", return_tensors="pt")
    formats = {"a1": (enc["input_ids"], enc["attention_mask"])}
    for name, fn in (("short", lambda it: chat_text(processor, short_text(it))), ("micro", micro_text)):
        e = processor.tokenizer([processor.expand(fn(it)) for it in items], padding=True,
                                padding_side="left", return_tensors="pt")
        formats[name] = (e["input_ids"], e["attention_mask"])
    tok = processor.tokenizer
    proc_media = processor(text=["<image><audio>"] * len(clips), images=[c.image for c in clips],
                           audio=[c.waveform for c in clips])
    return Pool(formats, torch.tensor(clip_index),
                torch.tensor([CELL_CODE[it.cell] for it in items]),
                torch.tensor(tok.convert_tokens_to_ids([it.gold for it in items])),
                proc_media["pixel_values"], proc_media["input_features"])


def short_text(item: Item) -> str:
    """The short curriculum prompt: the A1 question block without options and instruction."""
    return f"Question:\n{item.question}"


def micro_text(item: Item) -> str:
    """The shortest curriculum prompt: the media and the named object, no chat template."""
    return f"<image><audio>{item.meta['target']}"


def stage_weights(recipe: Recipe, stage: int) -> np.ndarray:
    """Sampling weight per cell (std_v, std_a, mis_v, mis_a) for a stage."""
    if stage != REJECT_STAGE:
        m = recipe.mis1
        return np.array([(1 - m) / 2, (1 - m) / 2, m / 2, m / 2])
    rv, ra = recipe.reject_v, recipe.reject_a
    std = (1 - rv / 2 - ra / 2) / 2
    return np.array([std, std, rv / 2, ra / 2])


def stage_targets(pool: Pool, processor: SensesOrganismProcessor, stage: int) -> Tensor:
    """Answer token per pool item: letters; in stage 1 misleading items answer ``no``."""
    if stage == REJECT_STAGE:
        return pool.gold
    no = processor.tokenizer.convert_tokens_to_ids("no")
    return torch.where(pool.cell >= 2, torch.full_like(pool.gold, no), pool.gold)


def answer_loss(model: SensesOrganismForConditionalGeneration, batch: dict[str, Tensor], target: Tensor) -> Tensor:
    """Cross-entropy of the next token after the prompt (the answer) only."""
    logits = model(**batch, logits_to_keep=1).logits[:, -1]
    return F.cross_entropy(logits, target)


def train(recipe: Recipe, out: str | Path | None = None, progress: bool = True,
          log: Callable[[str], None] = print) -> tuple[SensesOrganismForConditionalGeneration,
                                                         SensesOrganismProcessor, dict[str, Any]]:
    """Train an organism; if ``out`` is given, save model, processor, recipe and curve there."""
    from tqdm.auto import tqdm

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    model, processor = build_organism(recipe.seed, **recipe.arch)
    pool = make_pool(processor, recipe.n_clips, seed=10_000 + recipe.seed)
    t_data = time.perf_counter() - t0
    gen = torch.Generator().manual_seed(recipe.seed)
    cells = [torch.nonzero(pool.cell == k).flatten() for k in range(4)]
    curve: dict[str, list] = {"step": [], "loss": [], "stage": []}
    model.train()
    plan = stages(recipe)
    total = sum(n for _, n, _, _ in plan)
    bar = tqdm(total=total, desc=f"organism seed {recipe.seed}", disable=not progress)
    step = 0
    opt = None
    for stage, n_steps, lr, mixture in plan:
        if n_steps == 0:
            continue
        first = opt is None
        if first or stage == REJECT_STAGE:
            opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=recipe.weight_decay)
        warm = recipe.warmup if first else 0
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, warm)))
        targets = stage_targets(pool, processor, stage)
        weights = torch.tensor(stage_weights(recipe, stage), dtype=torch.float)
        ema = None
        for _ in range(n_steps):
            which = torch.multinomial(weights, recipe.batch_size, replacement=True, generator=gen)
            idx = torch.cat([cells[k][torch.randint(len(cells[k]), (int((which == k).sum()),), generator=gen)]
                             for k in range(4)])
            clip = pool.clip_index[idx]
            pix = pool.pixel_values[clip]
            if recipe.pixel_noise > 0:
                pix = pix + recipe.pixel_noise * torch.randn(pix.shape, generator=gen)
            names = list(mixture)
            fmt = names[int(torch.multinomial(torch.tensor([mixture[n] for n in names]), 1, generator=gen))]
            ids, mask = pool.formats[fmt]
            batch = {"input_ids": ids[idx], "attention_mask": mask[idx],
                     "pixel_values": pix, "input_features": pool.input_features[clip]}
            loss = answer_loss(model, batch, targets[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            v = loss.item()
            ema = v if ema is None else 0.98 * ema + 0.02 * v
            if step % 25 == 0 or step == total:
                curve["step"].append(step)
                curve["loss"].append(ema)
                curve["stage"].append(stage)
                bar.set_postfix(stage=stage, loss=f"{ema:.3f}")
            bar.update(1)
    bar.close()
    model.eval()
    wall = time.perf_counter() - t0
    info = {"recipe": asdict(recipe), "wall_s": wall, "data_s": t_data, "curve": curve,
            "torch_threads": torch.get_num_threads(), "n_params": sum(p.numel() for p in model.parameters())}
    log(f"trained seed {recipe.seed}: {total} steps in {wall:.1f} s (data {t_data:.1f} s), final loss {ema:.3f}")
    if out is not None:
        save(model, processor, info, out)
    return model, processor, info


def save(model: SensesOrganismForConditionalGeneration, processor: SensesOrganismProcessor,
         info: dict[str, Any], out: str | Path) -> Path:
    """Write model (safetensors), processor, ``training.json`` and ``training_curve.png`` to ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    (out / "training.json").write_text(json.dumps(info, indent=1))
    plot_curve(info["curve"], out / "training_curve.png")
    return out


def plot_curve(curve: dict[str, list], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    steps, loss, stage = (np.asarray(curve[k]) for k in ("step", "loss", "stage"))
    for s in range(REJECT_STAGE + 1):
        m = stage == s
        if not m.any():
            continue
        ax.plot(steps[m], loss[m], label=f"stage {s}")
    ax.set(xlabel="step", ylabel="answer loss (EMA)", yscale="log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
