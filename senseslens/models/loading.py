"""`load(...)`: hub id, local directory or built model -> `OmniModel`.

Nothing here installs packages or reaches the network unless asked: a local
directory is always read with ``local_files_only=True``; a hub id follows the
usual HF rules (``HF_HUB_OFFLINE=1`` keeps it offline). ``trust_remote_code`` is
only ever turned on by the caller.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import ProcessorNotFoundError, SensesLensError, UnsupportedArchitectureError
from .registry import get_spec, resolve_spec
from .spec import ModelSpec
from .wrapper import OmniModel

_AUTO_CLASSES = ("AutoModelForImageTextToText", "AutoModelForCausalLM", "AutoModel")


def _register_local_architectures() -> None:
    """Make the shipped organism known to the transformers Auto classes."""
    from .. import organism  # noqa: F401  (registers on import)


def load_processor(path: str, *, local: bool, trust_remote_code: bool = False) -> Any:
    from transformers import AutoProcessor

    try:
        return AutoProcessor.from_pretrained(path, local_files_only=local, trust_remote_code=trust_remote_code)
    except Exception as exc:  # transformers raises OSError/ValueError/KeyError variants here
        where = f"the directory {path}" if local else f"the hub id {path!r}"
        raise ProcessorNotFoundError(
            f"no processor could be loaded from {where} ({type(exc).__name__}: {str(exc)[:200]}). "
            "Offline? Download the checkpoint first (huggingface-cli download ...) or set HF_HUB_OFFLINE=0; "
            "or pass processor=... to sl.load; or processor=False to load the model without one."
        ) from exc


def load(
    model: str | os.PathLike | nn.Module,
    processor: Any | None = None,
    *,
    spec: ModelSpec | None = None,
    backend: str = "nnsight",
    dtype: torch.dtype | str | None = None,
    device_map: str | dict | None = None,
    attn_implementation: str | None = None,
    trust_remote_code: bool = False,
    name: str | None = None,
) -> OmniModel:
    """Load a model for interpretability.

    Args:
        model: a hub id, a local checkpoint directory, or an already-built HF model.
        processor: a processor object; ``None`` loads one from the same path (built
            models: none); ``False`` skips it (``encode`` then raises).
        spec: override the registered spec.
        backend: ``"nnsight"`` (default) or ``"transformer_lens"``.
        dtype, device_map, attn_implementation: passed to ``from_pretrained``.
        trust_remote_code: only for remote-code checkpoints, and only when you ask.
    """
    if backend not in ("nnsight", "transformer_lens"):
        raise SensesLensError(f"unknown backend {backend!r}; use 'nnsight' or 'transformer_lens'.")
    _register_local_architectures()
    if isinstance(model, nn.Module):
        hf = model
        path = None
    else:
        path = str(model)
        local = Path(path).is_dir()
        hf = _from_pretrained(path, local, spec, dtype, device_map, attn_implementation, trust_remote_code)
        if processor is None:
            processor = load_processor(path, local=local, trust_remote_code=trust_remote_code)
    if processor is False:
        processor = None
    hf.eval()
    chosen = spec or resolve_spec(hf)
    omni = OmniModel(hf, chosen, processor=processor, name=name or path)
    if backend == "transformer_lens":
        from .backends.tl_backend import attach_transformer_lens

        attach_transformer_lens(omni)
    return omni


def _from_pretrained(
    path: str,
    local: bool,
    spec: ModelSpec | None,
    dtype: Any,
    device_map: Any,
    attn_implementation: str | None,
    trust_remote_code: bool,
) -> nn.Module:
    import transformers
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(path, local_files_only=local, trust_remote_code=trust_remote_code)
    except ValueError as exc:
        raise UnsupportedArchitectureError(
            f"transformers does not know the model type of {path} ({exc}). If it is a remote-code checkpoint, "
            "pass trust_remote_code=True (this runs code from the checkpoint) and, if needed, a spec via "
            "sl.register_spec(...)."
        ) from exc
    arch = (getattr(config, "architectures", None) or [""])[0]
    kwargs: dict[str, Any] = {"local_files_only": local}
    if dtype is not None:
        kwargs["dtype"] = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    if device_map is not None:
        kwargs["device_map"] = device_map
    if attn_implementation is not None:
        kwargs["attn_implementation"] = attn_implementation
    cls = getattr(transformers, arch, None) if arch else None
    if cls is not None:
        return cls.from_pretrained(path, **kwargs)
    if not trust_remote_code and (spec or get_spec(arch)) is not None and (spec or get_spec(arch)).source == "remote":
        raise UnsupportedArchitectureError(
            f"{arch} is a remote-code model. Loading it runs code from the checkpoint: pass trust_remote_code=True if you trust it."
        )
    last: Exception | None = None
    for auto in _AUTO_CLASSES:
        try:
            return getattr(transformers, auto).from_pretrained(path, trust_remote_code=trust_remote_code, **kwargs)
        except (ValueError, KeyError) as exc:
            last = exc
    raise UnsupportedArchitectureError(f"no transformers class can load {path} ({arch or 'no architectures in config'}): {last}")
