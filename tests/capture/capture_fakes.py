"""A small deterministic stand-in for `OmniModel` (same encode/run contract), for fast store tests.

Tokens: a real offline word-level tokenizer; each image adds 4 ``<image>`` tokens, each video 5
``<video>`` tokens, each audio 3 ``<audio>`` tokens before the text. Every row is computed on its
own, so results do not depend on batch composition. ``delay`` (seconds per ``run``) slows it down
for kill tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from senseslens.models.sites import Site
from senseslens.testing.tiny_tokenizer import build_word_tokenizer

MEDIA = {"image": ("<image>", 4), "video": ("<video>", 5), "audio": ("<audio>", 3)}
SPECIALS = {"<pad>": 0, "<image>": 1, "<video>": 2, "<audio>": 3}


@dataclass
class FakeSpans:
    masks: dict[str, torch.Tensor]

    def mask(self, name: str) -> torch.Tensor:
        if name not in self.masks:
            return torch.zeros_like(self.masks["last"])
        return self.masks[name]

    @property
    def last(self) -> tuple[int, ...]:
        return tuple(int(m.nonzero()[0]) for m in self.masks["last"])

    def has(self, name: str, row: int) -> bool:
        return bool(self.mask(name)[row].any())


@dataclass
class FakeBatch:
    inputs: dict[str, torch.Tensor]
    spans: FakeSpans
    media: list[torch.Tensor] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.inputs["input_ids"].shape[0])


@dataclass
class FakeRunOutput:
    logits: torch.Tensor
    captures: dict[Any, torch.Tensor]


class FakeNet(torch.nn.Module):
    def __init__(self, vocab: int, d_model: int, n_layers: int, seed: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.embed = torch.nn.Parameter(torch.randn(vocab, d_model, generator=g))
        self.blocks = torch.nn.Parameter(torch.randn(n_layers, d_model, d_model, generator=g) / d_model**0.5)
        self.media_dir = torch.nn.Parameter(torch.randn(d_model, generator=g))


class FakeModel:
    """Implements ``encode``, ``run``, ``n_layers``, ``d_model``, ``name``, ``hf``, ``tokenizer``."""

    def __init__(self, d_model: int = 16, n_layers: int = 3, vocab: int = 512, seed: int = 0,
                 delay: float = 0.0, name: str = "fake") -> None:
        self.tokenizer = build_word_tokenizer(SPECIALS, vocab)
        self.hf = FakeNet(vocab, d_model, n_layers, seed)
        self.n_layers, self.d_model, self.name, self.delay = n_layers, d_model, name, delay
        self.runs = 0

    def encode(self, prompts: Sequence[Any]) -> FakeBatch:
        rows, spans, feats = [], [], []
        for p in prompts:
            ids: list[int] = []
            named: dict[str, list[int]] = {}
            feat = 0.0
            for kind, seq in (("image", p.images), ("video", p.videos), ("audio", p.audios)):
                tok, n = MEDIA[kind]
                for medium in seq:
                    named.setdefault(kind, []).extend(range(len(ids), len(ids) + n))
                    ids += [SPECIALS[tok]] * n
                    feat += float(np.asarray(medium, dtype=np.float64).mean())
            enc = self.tokenizer(p.text, return_offsets_mapping=True, add_special_tokens=False)
            base = len(ids)
            for name, (a, b) in p.regions.items():
                named[name] = [base + j for j, (s, e) in enumerate(enc["offset_mapping"]) if s >= a and e <= b]
            ids += list(enc["input_ids"])
            rows.append(ids)
            spans.append(named)
            feats.append(feat)
        width = max(len(r) for r in rows)
        input_ids = torch.zeros(len(rows), width, dtype=torch.long)
        attn = torch.zeros(len(rows), width, dtype=torch.long)
        masks: dict[str, torch.Tensor] = {"last": torch.zeros(len(rows), width, dtype=torch.bool)}
        for i, (ids, named) in enumerate(zip(rows, spans)):
            pad = width - len(ids)
            input_ids[i, pad:] = torch.tensor(ids)
            attn[i, pad:] = 1
            masks["last"][i, -1] = True
            for name, pos in named.items():
                masks.setdefault(name, torch.zeros(len(rows), width, dtype=torch.bool))
                masks[name][i, [pad + j for j in pos]] = True
        inputs = {"input_ids": input_ids, "attention_mask": attn, "media_feat": torch.tensor(feats)}
        return FakeBatch(inputs, FakeSpans(masks))

    @torch.no_grad()
    def run(self, batch: FakeBatch, capture: Sequence[Site] = (), edits: Sequence[Any] = (),
            logits: str = "last") -> FakeRunOutput:
        if self.delay:
            time.sleep(self.delay)
        self.runs += 1
        net = self.hf
        ids, attn = batch.inputs["input_ids"], batch.inputs["attention_mask"]
        hidden = []  # per layer [B, T, H]
        outs = torch.zeros(ids.shape[0], ids.shape[1], self.d_model, self.n_layers)
        for i in range(ids.shape[0]):
            valid = attn[i].bool()
            h = net.embed[ids[i, valid]] + batch.inputs["media_feat"][i] * net.media_dir / 100.0
            for layer in range(self.n_layers):
                ctx = h.cumsum(0) / torch.arange(1, h.shape[0] + 1)[:, None]
                h = h + torch.tanh((h + ctx) @ net.blocks[layer])
                outs[i, valid, :, layer] = h
        hidden = [outs[..., layer] for layer in range(self.n_layers)]
        caps: dict[Any, torch.Tensor] = {}
        for site in capture:
            h = hidden[site.layer]
            if site.span is None:
                caps[site] = h
            elif site.span == "last":
                caps[site] = h[:, -1]
            else:
                m = batch.spans.mask(site.span).float()
                n = m.sum(1, keepdim=True)
                caps[site] = torch.where(n > 0, (h * m[..., None]).sum(1) / n.clamp(min=1),
                                         torch.full_like(h[:, 0], float("nan")))
        return FakeRunOutput(hidden[-1][:, -1] @ net.embed.T, caps)
