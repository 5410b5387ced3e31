"""Test helpers for senseslens: the tiny model zoo (see ``docs/tiny_models.md``)."""

from senseslens.testing.tiny import (
    TINY_FAMILIES,
    TinyModel,
    build_tiny,
    load_tiny_processor,
    placeholder_token_ids,
    save_tiny,
)

__all__ = ["TINY_FAMILIES", "TinyModel", "build_tiny", "load_tiny_processor", "placeholder_token_ids", "save_tiny"]
