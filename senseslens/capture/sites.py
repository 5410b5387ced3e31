"""Store sites (span names) and the model-layer `Site`s that read them.

A store site is a span name: ``"last"`` reads the residual stream at the last prompt token,
``Site("resid", layer, span="last")``; any other name (``"image"``, ``"video"``, ``"audio"``,
``"question"``, ``"options"``, ``"prompt"``) reads the mean over that span's positions,
``Site("resid", layer, span=name, reduce="mean")``, NaN for rows without the span.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import StoreError

KNOWN_SPANS = ("last", "image", "video", "audio", "question", "options", "prompt")


def normalise_sites(sites: Sequence[str] | str) -> tuple[str, ...]:
    """Validate and de-duplicate site names, keeping their order."""
    names = [sites] if isinstance(sites, str) else list(sites)
    out = tuple(dict.fromkeys(str(s) for s in names))
    bad = [s for s in out if not s or "." in s or "/" in s]
    if bad or not out:
        raise StoreError(f"sites {bad or '[]'} are not valid; give span names such as {list(KNOWN_SPANS)}.")
    return out


def default_sites(items: Sequence[Any], modalities: Sequence[str] | None = None) -> tuple[str, ...]:
    """``last``, the visual span(s) the items carry (``image`` and/or ``video``; ``image`` when
    they carry none), ``audio`` and ``question``, dropping media not in ``modalities`` (the
    model's, when known). Decided from item fields only (no decoding)."""
    has_video = any(getattr(it, "frames", None) is not None or getattr(it, "video", None) for it in items)
    has_image = any(getattr(it, "image", None) is not None or getattr(it, "image_path", None) for it in items)
    visual = (("image",) if has_image or not has_video else ()) + (("video",) if has_video else ())
    media = tuple(m for m in (*visual, "audio") if modalities is None or m in modalities)
    return ("last", *media, "question")


def _site_class() -> Any:
    from ..models.sites import Site

    return Site


def capture_sites(sites: Sequence[str], layers: Sequence[int]) -> dict[str, list[Any]]:
    """``{site name: [Site for each layer]}`` to pass to ``model.run(capture=...)``."""
    site = _site_class()
    return {name: [site("resid", layer, span="last") if name == "last"
                   else site("resid", layer, span=name, reduce="mean") for layer in layers]
            for name in sites}
