"""Deterministic split of item indices into shards, and of shards into workers.

Shard ``k`` holds item indices ``[k * shard_size, min((k + 1) * shard_size, n_items))``: the
boundaries depend on the item index only, never on which process ran or when, so a resumed run,
a data-parallel run and an uninterrupted single-process run write byte-identical shards (the
batches inside a shard are also fixed: consecutive chunks of ``batch_size`` from its start).

Worker ``i`` of ``n`` takes shards ``k`` with ``k % n == i`` (round robin, so workers finish
at about the same time even when later items are longer). Under ``torchrun`` the worker is
``(RANK, WORLD_SIZE)``; with an explicit ``shard=(i, n)`` as well (a SLURM array of
multi-GPU jobs) it is ``(i * WORLD_SIZE + RANK, n * WORLD_SIZE)``.
"""

from __future__ import annotations

import os
from typing import Mapping

from ..errors import StoreError


def shard_ranges(n_items: int, shard_size: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(n_items)`` in order."""
    if shard_size < 1:
        raise StoreError(f"shard_size={shard_size}; it must be a positive number of items.")
    return [(s, min(s + shard_size, n_items)) for s in range(0, n_items, shard_size)]


def parse_shard_spec(spec: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"i/n"`` or ``(i, n)`` -> ``(i, n)`` with ``0 <= i < n``; None passes through."""
    if spec is None:
        return None
    if isinstance(spec, str):
        try:
            i_s, n_s = spec.split("/")
            spec = (int(i_s), int(n_s))
        except ValueError:
            raise StoreError(f"shard={spec!r} is not of the form 'i/n' (e.g. '0/4'), 0-based.") from None
    i, n = int(spec[0]), int(spec[1])
    if not (n >= 1 and 0 <= i < n):
        raise StoreError(f"shard=({i}, {n}) is out of range; use 0 <= i < n (0-based, e.g. SLURM_ARRAY_TASK_ID).")
    return i, n


def distributed_env(environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``(RANK, WORLD_SIZE)`` as set by torchrun; ``(0, 1)`` outside it."""
    env = os.environ if environ is None else environ
    try:
        rank, world = int(env.get("RANK", "0")), int(env.get("WORLD_SIZE", "1"))
    except ValueError:
        raise StoreError("RANK / WORLD_SIZE in the environment are not integers; unset them or run "
                         "under torchrun.") from None
    if not 0 <= rank < world:
        raise StoreError(f"RANK={rank} is outside WORLD_SIZE={world}; check the launcher's environment.")
    return rank, world


def worker(shard: tuple[int, int] | None, environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """This process's ``(index, count)`` among all workers (see module doc)."""
    rank, world = distributed_env(environ)
    i, n = shard if shard is not None else (0, 1)
    return i * world + rank, n * world


def assigned(ranges: list[tuple[int, int]], index: int, count: int) -> list[tuple[int, int]]:
    """The shards worker ``index`` of ``count`` writes."""
    return [r for k, r in enumerate(ranges) if k % count == index]
