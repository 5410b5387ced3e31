"""The store's ``manifest.json``: what was extracted, from which model and benchmark, and how.

The manifest has a ``fingerprint`` (everything that decides the *content* of the shards) and
bookkeeping (library versions, creation time, batch size, item count). Reopening a store for
more extraction compares the fingerprint part by part and refuses on any difference, naming the
part. The item count is not part of it: shard boundaries depend on the item index only, so a
run with a larger ``limit`` extends an earlier store.

Model fingerprint: ``model.fingerprint()`` when the model provides one, otherwise
`model_fingerprint` of ``model.hf``: the class name, sha256 of the config JSON, and a weights
hash that is *sampled*: for every parameter and buffer its name, dtype, shape and up to 1,024
evenly strided elements are hashed, so loading a 30B checkpoint costs milliseconds, not
minutes. Two checkpoints that differ only in unsampled elements hash equal (fine-tunes change
essentially every element, so in practice they differ).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any, Mapping

from ..errors import StoreError

MANIFEST = "manifest.json"
FORMAT = "senseslens.activation_store"
FORMAT_VERSION = 1
#: Fingerprint parts in the order they are checked and reported.
PARTS = ("model.class", "model.config_hash", "model.weights_hash", "benchmark", "sites",
         "layers", "dtype", "variant", "shard_size")
_SAMPLES_PER_TENSOR = 1024


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def weights_hash(module: Any) -> str:
    """Sampled sha256 over every parameter and buffer of a torch module (see module doc)."""
    import torch

    h = hashlib.sha256()
    tensors = list(module.named_parameters()) + list(module.named_buffers())
    for name, t in sorted(tensors, key=lambda kv: kv[0]):
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        if t.device.type == "meta" or t.numel() == 0:
            continue
        flat = t.detach().reshape(-1)
        step = max(1, flat.numel() // _SAMPLES_PER_TENSOR)
        sample = flat[::step][:_SAMPLES_PER_TENSOR].contiguous()
        h.update(sample.view(torch.uint8).cpu().numpy().tobytes())
    return h.hexdigest()


def model_fingerprint(model: Any) -> dict[str, str]:
    """``{"class", "config_hash", "weights_hash"}`` of a senseslens model or a bare HF model."""
    fp = getattr(model, "fingerprint", None)
    if callable(fp):
        got = dict(fp())
        if {"class", "config_hash", "weights_hash"} <= set(got):
            return {k: str(got[k]) for k in ("class", "config_hash", "weights_hash")}
    hf = getattr(model, "hf", model)
    config = getattr(hf, "config", None)
    config_json = config.to_json_string(use_diff=False) if config is not None else "{}"
    return {
        "class": type(hf).__name__,
        "config_hash": _sha(config_json.encode()),
        "weights_hash": weights_hash(hf),
    }


def benchmark_fingerprint(benchmark: Any, items: Any) -> str:
    """The benchmark's own ``fingerprint()`` (hashed if it is not a string); for a plain sequence
    of `Item`s, the fingerprint of ``Benchmark(items)``; else a hash of the items' reprs."""
    fp = getattr(benchmark, "fingerprint", None)
    if callable(fp):
        got = fp()
        return got if isinstance(got, str) else _sha(json.dumps(got, sort_keys=True, default=str).encode())
    from ..data.benchmark import Benchmark
    from ..data.items import Item

    items = list(items)
    if all(isinstance(it, Item) for it in items):
        return Benchmark(tuple(items)).fingerprint()
    return _sha(json.dumps([repr(it) for it in items]).encode())


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    out = {}
    for name in ("torch", "transformers", "nnsight", "safetensors", "numpy", "senseslens"):
        try:
            from importlib.metadata import version

            out[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing library is recorded, not fatal
            out[name] = "absent"
    return tuple(out.items())


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that shape the numbers (read once per process)."""
    return dict(_versions())


def flat_fingerprint(fp: Mapping[str, Any]) -> dict[str, Any]:
    """Fingerprint with the model dict flattened to ``model.class`` ... (the `PARTS` keys)."""
    flat = {f"model.{k}": v for k, v in fp["model"].items()}
    flat.update({k: v for k, v in fp.items() if k != "model"})
    return flat


def read_manifest(directory: Path) -> dict[str, Any] | None:
    path = Path(directory) / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise StoreError(f"{path} is not valid JSON ({err}); it was edited by hand or the disk is "
                         "corrupt. Pass overwrite=True or a new `out` directory to start over.") from err
    if data.get("format") != FORMAT:
        raise StoreError(f"{path} is not a senseslens activation store manifest; point `out` at an "
                         "empty or senseslens-made directory.")
    if data.get("format_version", 0) > FORMAT_VERSION:
        raise StoreError(f"{path} has format version {data['format_version']}, newer than this senseslens "
                         f"reads ({FORMAT_VERSION}); upgrade senseslens.")
    return data


def check_fingerprint(directory: Path, stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> None:
    """Raise `StoreError` naming every fingerprint part where ``stored`` and ``wanted`` differ."""
    a, b = flat_fingerprint(stored), flat_fingerprint(wanted)
    diffs = [p for p in PARTS if a.get(p) != b.get(p)]
    if diffs:
        lines = "; ".join(f"{p}: stored {_short(a.get(p))} vs now {_short(b.get(p))}" for p in diffs)
        raise StoreError(
            f"the activation store at {directory} was written by a different run "
            f"({', '.join(diffs)} differ: {lines}). Use a new `out` directory, or pass "
            "overwrite=True (CLI: --overwrite) to delete it and start over."
        )


def _short(v: Any) -> str:
    s = json.dumps(v, default=str)
    return s if len(s) <= 60 else s[:28] + "..." + s[-12:]


def write_manifest(directory: Path, manifest: Mapping[str, Any]) -> None:
    """Write the manifest atomically (temp file + ``os.replace``)."""
    path = Path(directory) / MANIFEST
    tmp = path.with_name(f"{MANIFEST}.tmp-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, path)


def create_or_verify(directory: Path, fingerprint: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
    """Make ``directory``'s manifest agree with ``fingerprint``; return the manifest in force.

    Safe under several concurrent writers without a barrier: the first one to arrive publishes
    its manifest with ``os.link`` (which fails if the name exists), the others read and verify
    it. A larger ``info["n_items"]`` than recorded (a run with a larger ``limit``) is written
    back; a smaller one is kept as recorded.
    """
    directory = Path(directory)
    existing = read_manifest(directory)
    if existing is None:
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "fingerprint": dict(fingerprint),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **info}
        tmp = directory / f"{MANIFEST}.new-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        try:
            os.link(tmp, directory / MANIFEST)  # fails if another writer published first
        except FileExistsError:
            pass
        except OSError:  # file systems without hard links: last writer wins, same fingerprint
            if not (directory / MANIFEST).exists():
                os.replace(tmp, directory / MANIFEST)
        finally:
            tmp.unlink(missing_ok=True)
        existing = read_manifest(directory)
        assert existing is not None
    check_fingerprint(directory, existing["fingerprint"], fingerprint)
    if info.get("n_items", 0) > existing.get("n_items", 0):
        existing = {**existing, **info, "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        write_manifest(directory, existing)
    return existing
