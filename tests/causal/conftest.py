"""Fixtures of the causal-analysis tests: a tiny Qwen2.5-VL and an untrained organism."""

from __future__ import annotations

import dataclasses
import functools

import pytest

import senseslens as sl
from senseslens.data.prompts import build_prompt
from senseslens.data.synthetic import synthetic_imavb


@functools.lru_cache(maxsize=None)
def _organism() -> sl.OmniModel:
    from senseslens.organism.build import build_organism

    model, processor = build_organism(seed=0)
    return sl.load(model, processor, name="organism-untrained")


@pytest.fixture(scope="session")
def organism() -> sl.OmniModel:
    return _organism()


@pytest.fixture(scope="session")
def items():
    return list(synthetic_imavb(6, seed=3))


@pytest.fixture(scope="session")
def qwen() -> sl.OmniModel:
    from tests.models._zoo import omni

    return omni("qwen2_5_vl")


def qwen_prompts(n: int, offset: int = 0, extra: str = "") -> list[sl.Prompt]:
    from tests.models._zoo import prompt

    return [prompt("qwen2_5_vl", seed=offset + i, extra_text=extra) for i in range(n)]


def without_audio(item) -> sl.Prompt:
    return build_prompt(item, media=("image",))


def longer_question(item):
    return dataclasses.replace(item, question="tell me " + item.question)
