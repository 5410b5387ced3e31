"""`extract`: run a benchmark through a model once and keep what analyses need, on disk.

Per item and per site (a span name, see `senseslens.capture.store`) one vector per decoder layer,
plus the six option logits A-F at the last prompt token and the item's fields. Work is done shard
by shard (`senseslens.capture.layout`): the batches of one shard are built, traced (one
``model.run`` per batch, collated by the processor), cast to the store dtype *on the device*,
copied to the CPU and written as one atomic safetensors file; then the shard's buffers are
dropped. Peak memory is one shard of vectors plus one batch of activations, whatever the number
of items. The prompts and processor inputs of the next batch are prepared in a background
thread while the current batch runs (video decoding overlaps the forward pass).

Resuming: rerun the same call. Shards already on disk are skipped; a run killed at any moment
(SIGKILL included) loses at most the shards it was writing. Data parallel: every process of
``torchrun`` (``RANK``/``WORLD_SIZE``) or of a job array (``shard=(i, n)``) writes its own
disjoint shards of the same store; no barrier or process group is needed.
"""

from __future__ import annotations

import shutil
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import StoreError
from . import layout
from .manifest import MANIFEST, create_or_verify, library_versions, model_fingerprint, benchmark_fingerprint
from .shards import SHARD_DIR, remove_stale_shards, remove_temp_files, shard_name, write_shard
from .sites import capture_sites, default_sites, normalise_sites
from .store import ActivationStore, open_store, tensor_key

DEFAULT_SHARD_SIZE = 32
_DTYPES = {"float16": np.float16, "float32": np.float32}
ITEM_FIELDS = ("item_id", "clip_id", "modality", "premise", "gold", "cell")


def _dtype_name(dtype: Any) -> str:
    name = str(getattr(dtype, "name", dtype)).replace("torch.", "")
    name = {"half": "float16", "fp16": "float16", "float": "float32", "fp32": "float32"}.get(name, name)
    if name not in _DTYPES:
        raise StoreError(f"dtype={dtype!r} is not supported by the store; use 'float16' (half the disk) or "
                         "'float32' (exact; bfloat16 models are upcast exactly).")
    return name


def model_modalities(model: Any) -> tuple[str, ...] | None:
    """Media kinds the model accepts (``model.spec.modalities``), or None if it does not say."""
    spec = getattr(model, "spec", None)
    mods = getattr(spec, "modalities", None)
    return tuple(mods) if mods is not None else None


def _prompt_builder(model: Any, variant: str, prompt_fn: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """``item -> Prompt``: ``prompt_fn``, else ``build_prompt(item, variant)`` with only the media
    the model accepts attached (an image-only VLM gets no audio)."""
    if prompt_fn is not None:
        return prompt_fn
    from ..data.attach import MEDIA_KINDS
    from ..data.prompts import build_prompt

    mods = model_modalities(model)
    media = MEDIA_KINDS if mods is None else tuple(m for m in MEDIA_KINDS if m in mods)
    return lambda item: build_prompt(item, variant, media=media)


def _tokenizer(model: Any) -> Any:
    for owner in (model, getattr(model, "processor", None)):
        tok = getattr(owner, "tokenizer", None)
        if tok is not None:
            return tok
    proc = getattr(model, "processor", None)
    if proc is not None and hasattr(proc, "get_vocab"):
        return proc
    raise StoreError(f"cannot find a tokenizer on {type(model).__name__} (looked at .tokenizer and "
                     ".processor.tokenizer); extract needs it to read the option letters A-F.")


def _item_record(index: int, item: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"index": index}
    for f in ITEM_FIELDS:
        v = getattr(item, f, None)
        rec[f] = v if v is None or isinstance(v, (str, int, float, bool)) else str(v)
    return rec


class _ShardWriter:
    """Runs the batches of one shard and writes it. Holds one shard of vectors at most."""

    def __init__(self, model: Any, sites: tuple[str, ...], layers: tuple[int, ...], dtype: str,
                 letter_ids: Any, batch_size: int) -> None:
        import torch

        from ..data.scoring import choice_logits

        self.model, self.sites, self.layers, self.batch_size = model, sites, layers, batch_size
        self.np_dtype = _DTYPES[dtype]
        self.torch_dtype = {"float16": torch.float16, "float32": torch.float32}[dtype]
        self.capture = capture_sites(sites, layers)
        self.letter_ids, self.choice_logits = letter_ids, choice_logits
        self.overflow = 0

    def run_batch(self, batch: Any) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """``{site: [L, B, H]}`` in the store dtype and choice logits ``[B, 6]`` float32."""
        import torch

        flat = [s for per_site in self.capture.values() for s in per_site]
        with torch.no_grad():
            out = self.model.run(batch, capture=flat, logits="last")
            vectors = {}
            for name, per_layer in self.capture.items():
                ts = [out.captures[s] for s in per_layer]
                dev = ts[0].device
                full = torch.stack([t.to(device=dev) for t in ts])  # [L, B, H]
                cast = full.to(self.torch_dtype)
                if self.torch_dtype == torch.float16:
                    self.overflow += int((cast.isinf() & full.isfinite()).sum())
                vectors[name] = cast.cpu().numpy()
            logits = self.choice_logits(out.logits, self.letter_ids).float().cpu().numpy()
        return vectors, logits


def extract(
    model: Any,
    benchmark: Any,
    sites: Sequence[str] | None = None,
    out: str | Path | None = None,
    batch_size: int = 8,
    variant: str = "A1",
    dtype: str = "float16",
    limit: int | None = None,
    shard: tuple[int, int] | str | None = None,
    progress: bool = True,
    overwrite: bool = False,
    *,
    layers: Sequence[int] | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    prompt_fn: Callable[[Any], Any] | None = None,
) -> ActivationStore:
    """Extract per-layer vectors and option logits for every item into the store at ``out``.

    Args:
        model: an `OmniModel` (``encode``, ``run``, ``n_layers``, ``d_model``, ``name``, ``hf``).
        benchmark: a `Benchmark` (or any sequence of items); item order is the store's row order.
        sites: span names; ``"last"`` is the last prompt token, others are span means. Default
            ``("last", <"image" and/or "video", whichever the items carry>, "audio", "question")``,
            without the media the model does not accept.
        out: store directory (created). Rerunning the same call resumes.
        batch_size: items per traced forward. Batches are fixed chunks of each shard.
        variant: prompt variant (``senseslens.data.prompts``); with ``prompt_fn`` only a label.
        dtype: ``"float16"`` or ``"float32"`` on disk (casting happens on the device). Values
            beyond float16's range (±65504) become inf; a warning counts them.
        limit: only the first ``limit`` items.
        shard: ``(i, n)`` or ``"i/n"``: this process writes worker ``i`` of ``n``'s shards (job
            arrays). Combined with torchrun's ``RANK``/``WORLD_SIZE`` automatically.
        progress: show a tqdm bar (items/s, ETA) on the first worker.
        overwrite: delete an existing store at ``out`` first (single worker only).
        layers: decoder layers to keep (default all), 0-based block outputs.
        shard_size: items per shard file (part of the fingerprint).
        prompt_fn: ``item -> Prompt`` to use instead of ``build_prompt(item, variant)``.

    Returns:
        `open_store(out)`: a snapshot; under several workers it holds what is done so far.
    """
    if out is None:
        raise StoreError("extract needs `out`, the directory of the activation store (e.g. out='runs/qwen7b').")
    root = Path(out)
    all_items = list(getattr(benchmark, "items", benchmark))
    items = all_items[:limit] if limit is not None else all_items
    dname = _dtype_name(dtype)
    site_names = normalise_sites(sites) if sites is not None else default_sites(items, model_modalities(model))
    layer_ids = tuple(range(int(model.n_layers))) if layers is None else tuple(int(i) for i in layers)
    bad = [i for i in layer_ids if not 0 <= i < int(model.n_layers)]
    if bad or not layer_ids:
        raise StoreError(f"layers {bad or '[]'} are outside 0..{int(model.n_layers) - 1}; layer i is the output "
                         "of decoder block i, 0-based.")
    if batch_size < 1:
        raise StoreError(f"batch_size={batch_size}; use a positive number of items per forward.")
    index, count = layout.worker(layout.parse_shard_spec(shard))

    if overwrite:
        if count > 1:
            raise StoreError("overwrite=True cannot be combined with shard=/torchrun: workers would delete each "
                             "other's shards. Delete the directory once beforehand, or use a new `out`.")
        (root / MANIFEST).unlink(missing_ok=True)
        shutil.rmtree(root / SHARD_DIR, ignore_errors=True)
    (root / SHARD_DIR).mkdir(parents=True, exist_ok=True)

    fingerprint = {"model": model_fingerprint(model), "benchmark": benchmark_fingerprint(benchmark, all_items),
                   "sites": list(site_names), "layers": list(layer_ids), "dtype": dname, "variant": variant,
                   "shard_size": int(shard_size)}
    info = {"n_items": len(items), "d_model": int(model.d_model), "model_n_layers": int(model.n_layers),
            "model_name": str(getattr(model, "name", "")), "batch_size": int(batch_size),
            "libraries": library_versions(), "item_fields": ["index", *ITEM_FIELDS],
            "tensors": "'{site}.{layer}' [n, d_model]; 'choice_logits' [n, 6] float32 (A-F); 'index' [n] int64"}
    manifest = create_or_verify(root, fingerprint, info)

    # A smaller `limit` than an earlier run keeps the recorded layout (shards never shrink).
    n_layout = int(manifest["n_items"])
    ranges = layout.shard_ranges(n_layout, int(shard_size))
    mine = [r for r in layout.assigned(ranges, index, count) if r[0] < len(items)]
    items = all_items[:n_layout]
    todo = [r for r in mine if not (root / SHARD_DIR / shard_name(*r)).exists()]
    if count == 1:
        remove_stale_shards(root / SHARD_DIR, ranges)
    if todo:
        _run_shards(model, items, todo, root, site_names, layer_ids, dname, batch_size, variant, prompt_fn,
                    progress and index == 0)
    return open_store(root)


def _run_shards(model: Any, items: list[Any], todo: list[tuple[int, int]], root: Path, sites: tuple[str, ...],
                layers: tuple[int, ...], dtype: str, batch_size: int, variant: str,
                prompt_fn: Callable[[Any], Any] | None, progress: bool) -> None:
    from tqdm.auto import tqdm

    from ..data.scoring import letter_token_ids

    build = _prompt_builder(model, variant, prompt_fn)
    letters = getattr(model, "letter_ids", None) or letter_token_ids(_tokenizer(model))
    writer = _ShardWriter(model, sites, layers, dtype, letters, batch_size)
    # Fixed batches: consecutive chunks of batch_size from each shard's start.
    batches = [(start, stop, (lo, min(lo + batch_size, stop)))
               for start, stop in todo for lo in range(start, stop, batch_size)]

    def encode(span: tuple[int, int]) -> Any:
        return model.encode([build(items[i]) for i in range(*span)])

    bar = tqdm(total=sum(b - a for a, b in todo), unit="item", desc=f"extract {getattr(model, 'name', '')}".strip(),
               disable=not progress, dynamic_ncols=True)
    buffers: dict[str, np.ndarray] = {}
    logits = np.empty((0, 6), np.float32)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="senseslens-prefetch") as pool:
        pending = pool.submit(encode, batches[0][2])
        for k, (start, stop, (lo, hi)) in enumerate(batches):
            batch = pending.result()
            if k + 1 < len(batches):
                pending = pool.submit(encode, batches[k + 1][2])
            if lo == start:
                n = stop - start
                buffers = {s: np.empty((len(layers), n, int(model.d_model)), writer.np_dtype) for s in sites}
                logits = np.empty((n, 6), np.float32)
            vectors, choice = writer.run_batch(batch)
            del batch
            for s in sites:
                buffers[s][:, lo - start:hi - start] = vectors[s]
            logits[lo - start:hi - start] = choice
            bar.update(hi - lo)
            if hi == stop:
                _write(root, start, stop, items, buffers, logits, sites, layers, batch_size)
                buffers = {}
    bar.close()
    if writer.overflow:
        warnings.warn(f"{writer.overflow} values exceeded float16's range and were stored as inf; extract with "
                      "dtype='float32' into a new `out` to keep them.", stacklevel=3)


def _write(root: Path, start: int, stop: int, items: list[Any], buffers: dict[str, np.ndarray],
           logits: np.ndarray, sites: tuple[str, ...], layers: tuple[int, ...], batch_size: int) -> None:
    tensors: dict[str, np.ndarray] = {tensor_key(s, layer): buffers[s][j] for s in sites for j, layer in enumerate(layers)}
    tensors["choice_logits"] = logits
    tensors["index"] = np.arange(start, stop, dtype=np.int64)
    meta = {"start": start, "stop": stop, "batch_size": batch_size,
            "items": [_item_record(i, items[i]) for i in range(start, stop)]}
    folder = root / SHARD_DIR
    remove_temp_files(folder, shard_name(start, stop))
    write_shard(folder / shard_name(start, stop), tensors, meta)
