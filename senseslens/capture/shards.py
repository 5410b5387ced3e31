"""One shard of an activation store: a safetensors file, written atomically, read by memory map.

A shard holds a contiguous range ``[start, stop)`` of item indices (positions in the
benchmark). Writing goes to a temporary file in the same directory, which is flushed, fsynced
and then ``os.replace``d onto the final name, so a shard file either exists complete or not at
all, whatever moment the writing process is killed at (SIGKILL included). The existence of the
final file *is* the record that its items are done.

Files are written by this module directly in the safetensors format (8-byte little-endian header
length, JSON header padded to 8 bytes, raw little-endian data). Reading parses the header (8-byte little-endian header length, JSON header, raw
little-endian data) and returns ``numpy.memmap`` views, so nothing is read from disk until a
slice of it is used. The files are ordinary safetensors: ``safetensors.safe_open`` reads them too.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..errors import StoreError

SHARD_DIR = "shards"
SUFFIX = ".safetensors"
_TMP_MARK = ".tmp-"
_META_KEY = "senseslens"

_DTYPES: Mapping[str, np.dtype] = {
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}


def shard_name(start: int, stop: int) -> str:
    """File name of the shard holding item indices ``[start, stop)``."""
    return f"shard-{start:08d}-{stop:08d}{SUFFIX}"


def parse_shard_name(name: str) -> tuple[int, int] | None:
    """``(start, stop)`` from a shard file name, or None for anything else (temp files...)."""
    if not (name.startswith("shard-") and name.endswith(SUFFIX)) or _TMP_MARK in name:
        return None
    parts = name[len("shard-"): -len(SUFFIX)].split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}


def temp_suffix() -> str:
    """Unique per writer, also across hosts sharing a file system."""
    return f"{_TMP_MARK}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def write_shard(path: Path, tensors: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> None:
    """Write ``tensors`` to ``path`` atomically (temp file, fsync, ``os.replace``) as safetensors.

    The arrays are streamed to the file without an intermediate copy. Tensors are laid out in
    the order given; ``metadata`` is JSON-encoded into ``__metadata__["senseslens"]``. The bytes
    depend only on the inputs, so rewriting a shard gives an identical file.
    """
    path = Path(path)
    arrays = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    header: dict[str, Any] = {"__metadata__": {_META_KEY: json.dumps(dict(metadata), sort_keys=True)}}
    offset = 0
    for key, arr in arrays.items():
        dtype = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype
        if dtype not in _CODES:
            raise StoreError(f"tensor {key!r} has dtype {arr.dtype}, which the store does not write; "
                             "use float16, float32, int64 or bool.")
        header[key] = {"dtype": _CODES[dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    tmp = path.with_name(path.name + temp_suffix())
    try:
        with open(tmp, "wb") as fh:
            fh.write(struct.pack("<Q", len(raw)))
            fh.write(raw)
            for arr in arrays.values():
                fh.write(memoryview(arr.astype(arr.dtype.newbyteorder("<"), copy=False)).cast("B"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


def remove_temp_files(directory: Path, name: str) -> None:
    """Delete leftovers of killed writers of shard ``name`` (only its owner calls this)."""
    for leftover in Path(directory).glob(f"{name}{_TMP_MARK}*"):
        leftover.unlink(missing_ok=True)


def remove_stale_shards(directory: Path, ranges: list[tuple[int, int]]) -> None:
    """Delete shard files whose range is not in ``ranges`` (the short last shard of a run with a
    smaller ``limit``, replaced by a full one). Only a sole writer may call this."""
    keep = {shard_name(a, b) for a, b in ranges}
    for path in Path(directory).glob("shard-*" + SUFFIX):
        if parse_shard_name(path.name) is not None and path.name not in keep:
            path.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lies in a shard file: dtype, shape and absolute byte offset."""

    dtype: np.dtype
    shape: tuple[int, ...]
    offset: int


@dataclass(frozen=True)
class ShardReader:
    """Lazy view of one shard file. Tensors come back as read-only ``numpy.memmap``s."""

    path: Path

    @cached_property
    def _header(self) -> tuple[dict[str, TensorInfo], dict[str, Any]]:
        try:
            with open(self.path, "rb") as fh:
                (n,) = struct.unpack("<Q", fh.read(8))
                raw = json.loads(fh.read(n))
        except (OSError, struct.error, ValueError) as err:
            raise StoreError(
                f"shard {self.path} cannot be read ({err}); delete that file and rerun the same "
                "extract call to recompute its items."
            ) from err
        meta = json.loads((raw.pop("__metadata__", None) or {}).get(_META_KEY, "{}"))
        base = 8 + n
        infos = {}
        for key, spec in raw.items():
            if spec["dtype"] not in _DTYPES:
                raise StoreError(f"shard {self.path} holds tensor {key!r} of dtype {spec['dtype']}, "
                                 "which this reader does not map; rewrite the store with float16 or float32.")
            infos[key] = TensorInfo(_DTYPES[spec["dtype"]], tuple(spec["shape"]), base + spec["data_offsets"][0])
        return infos, meta

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._header[0])

    @property
    def metadata(self) -> dict[str, Any]:
        """The JSON-decoded ``__metadata__`` of the shard (item ids, range, ...)."""
        return self._header[1]

    def info(self, key: str) -> TensorInfo:
        try:
            return self._header[0][key]
        except KeyError:
            raise StoreError(f"shard {self.path.name} has no tensor {key!r}; it holds {list(self.keys)[:8]}...") from None

    def array(self, key: str) -> np.ndarray:
        """Memory-mapped, read-only view of tensor ``key`` (no bytes read until indexed)."""
        info = self.info(key)
        if int(np.prod(info.shape)) == 0:
            return np.empty(info.shape, dtype=info.dtype)
        return np.memmap(self.path, dtype=info.dtype, mode="r", offset=info.offset, shape=info.shape)
