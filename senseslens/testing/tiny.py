"""Registry of tiny random HF models with working processors, built offline.

Every family builds its real HF model class from its real config class (hidden 64, 2 decoder
layers, vocab 512) and a real processor class of the family around a small
word-level fast tokenizer whose placeholder strings sit at the ids the config uses. Where the
family processor cannot be built without torchvision (its video processor), either a torch-only
video processor is plugged in (Qwen families, LLaVA-OneVision) or a minimal subclass without the
video processor is used (SmolVLM); reload processors with :func:`load_tiny_processor`.

Recipes live in ``tiny_qwen.py``, ``tiny_omni.py``, ``tiny_llava.py``, ``tiny_idefics.py``,
``tiny_gemma.py``, ``tiny_gemma3n.py``, ``tiny_phi4.py`` and ``tiny_audio.py``;
``docs/tiny_models.md`` records them.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import torch
from transformers import AutoProcessor, PreTrainedModel, ProcessorMixin

from senseslens.errors import InputError
from senseslens.testing.tiny_media import media_sampler
from senseslens.testing.tiny_recipe import MEDIA_KWARGS, TinyRecipe
from senseslens.testing.tiny_video import FrameVideoProcessorTorch, QwenVideoProcessorTorch

__all__ = [
    "TINY_FAMILIES",
    "TinyModel",
    "build_tiny",
    "load_tiny_processor",
    "placeholder_token_ids",
    "save_tiny",
    "tiny_recipe",
]


#: registry key -> module (under ``senseslens.testing``) whose ``RECIPES`` define it; imported lazily
_FAMILY_MODULES: Mapping[str, str] = MappingProxyType(
    {
        "qwen2_5_omni_thinker": "tiny_omni",
        "qwen2_5_omni": "tiny_omni",
        "qwen3_omni_moe_thinker": "tiny_omni",
        "qwen3_omni_moe": "tiny_omni",
        "qwen2_vl": "tiny_qwen",
        "qwen2_5_vl": "tiny_qwen",
        "qwen3_vl": "tiny_qwen",
        "llava": "tiny_llava",
        "llava_onevision": "tiny_llava",
        "idefics3": "tiny_idefics",
        "smolvlm": "tiny_idefics",
        "gemma3": "tiny_gemma",
        "gemma3n": "tiny_gemma3n",
        "phi4_multimodal": "tiny_phi4",
        "qwen2_audio": "tiny_audio",
    }
)

TINY_FAMILIES: tuple[str, ...] = tuple(_FAMILY_MODULES)


@dataclass(frozen=True)
class TinyModel:
    """A tiny random model of one family with its processor and sample media.

    ``sample_media(seed)`` returns ``{"image": uint8 [H, W, 3], "video": uint8 [N, H, W, 3],
    "audio": float32 [S] at 16 kHz}`` restricted to ``modalities``.
    """

    name: str
    model: PreTrainedModel
    processor: ProcessorMixin
    modalities: tuple[str, ...]
    media_kwargs: Mapping[str, str]
    chat_content_types: Mapping[str, str]
    sample_media: Callable[[int], dict]


def tiny_recipe(name: str) -> TinyRecipe:
    """The recipe behind ``build_tiny(name)`` (imports only that family's module)."""
    if name not in _FAMILY_MODULES:
        raise InputError(f"unknown tiny family {name!r}; choose one of {', '.join(TINY_FAMILIES)}")
    module = importlib.import_module(f"senseslens.testing.{_FAMILY_MODULES[name]}")
    return module.RECIPES[name]


def build_tiny(name: str, seed: int = 0) -> TinyModel:
    """Build the tiny model ``name`` (a key of :data:`TINY_FAMILIES`) with weights seeded by ``seed``.

    The model is float32, in eval mode, on CPU. Parameters whose random initialisation would
    silence a medium (zero-initialised projections, a too-small audio front-end) are re-drawn
    so that every medium reaches the language model. Raises ``InputError`` for unknown names.
    """
    recipe = tiny_recipe(name)
    config = recipe.make_config()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = recipe.model_class(config)
    if recipe.fix_weights is not None:
        recipe.fix_weights(model, torch.Generator().manual_seed(seed + 7919))
    model = model.float().eval()
    media_kwargs = recipe.media_kwargs or {m: MEDIA_KWARGS[m] for m in recipe.modalities}
    content_types = recipe.chat_content_types or {m: m for m in recipe.modalities}
    return TinyModel(
        name=name,
        model=model,
        processor=recipe.make_processor(),
        modalities=recipe.modalities,
        media_kwargs=MappingProxyType(dict(media_kwargs)),
        chat_content_types=MappingProxyType(dict(content_types)),
        sample_media=media_sampler(recipe.modalities, recipe.media),
    )


def placeholder_token_ids(tiny: TinyModel) -> dict[str, int]:
    """medium -> id of the placeholder token that the processor repeats once per feature vector.

    Read from the model config (attribute names in ``docs/tiny_models.md``); for Gemma 3 this is
    the soft token (``<image_soft_token>``), not the ``<start_of_image>`` string of the chat.
    """
    attrs = tiny_recipe(tiny.name).token_id_attrs or {}
    ids = {}
    for medium in tiny.modalities:
        value: object = tiny.model.config
        for part in attrs.get(medium, f"{medium}_token_id").split("."):
            value = getattr(value, part)
        ids[medium] = int(value)
    return ids


def save_tiny(tiny: TinyModel, directory: str | Path) -> Path:
    """Save model and processor to ``directory``; return it.

    Reload offline with ``AutoModelForMultimodalLM.from_pretrained(directory)`` (every family) and
    :func:`load_tiny_processor` for the processor. The tokenizer is saved without the padding
    state that earlier padded calls leave in its Rust backend.
    """
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    # a padded call leaves padding switched on in the Rust tokenizer, and tokenizer.json would keep
    # it: on reload it leaks into the audio kwargs (Gemma 3n's feature extractor then raises)
    backend = tiny.processor.tokenizer.backend_tokenizer
    backend.no_padding()
    backend.no_truncation()
    tiny.model.save_pretrained(path)
    tiny.processor.save_pretrained(path)
    on_save = tiny_recipe(tiny.name).on_save
    if on_save is not None:
        on_save(path)
    return path


#: processor subclasses of the zoo (class name -> module); all other processors reload via AutoProcessor
_PROCESSOR_SUBCLASSES: Mapping[str, str] = MappingProxyType(
    {
        "Qwen2_5OmniProcessorTorchVideo": "tiny_omni",
        "Qwen3OmniMoeProcessorTorchVideo": "tiny_omni",
        "Qwen2VLProcessorTorchVideo": "tiny_qwen",
        "Qwen2_5_VLProcessorTorchVideo": "tiny_qwen",
        "Qwen3VLProcessorTorchVideo": "tiny_qwen",
        "LlavaOnevisionProcessorTorchVideo": "tiny_llava",
        "SmolVLMProcessorNoVideo": "tiny_idefics",
        "Phi4MultimodalProcessorTorchImages": "tiny_phi4",
    }
)


_VIDEO_PROCESSORS = {cls.__name__: cls for cls in (QwenVideoProcessorTorch, FrameVideoProcessorTorch)}


def load_tiny_processor(directory: str | Path) -> ProcessorMixin:
    """Load a processor saved by :func:`save_tiny`, offline.

    Processor subclasses of the zoo are reloaded with the same subclass, and the torch-only video
    processors of ``tiny_video`` are rebuilt from the saved dict (``AutoVideoProcessor`` does not
    know them); all others go through ``AutoProcessor``.
    """
    path = Path(directory)
    config_file = path / "processor_config.json"
    if not config_file.is_file():
        raise InputError(f"no processor_config.json in {path}; save with save_tiny(tiny, {str(path)!r}) first")
    config = json.loads(config_file.read_text())
    name = config.get("processor_class")
    kwargs = {}
    video = dict(config.get("video_processor") or {})
    video_class = _VIDEO_PROCESSORS.get(video.pop("video_processor_type", None))
    if video_class is not None:
        kwargs["video_processor"] = video_class(**video)
    if name in _PROCESSOR_SUBCLASSES:
        module = importlib.import_module(f"senseslens.testing.{_PROCESSOR_SUBCLASSES[name]}")
        return getattr(module, name).from_pretrained(path, **kwargs)
    return AutoProcessor.from_pretrained(path, **kwargs)
