"""``senseslens extract``: run a benchmark through a model into an activation store.

Mirrors `senseslens.capture.extract.extract`. Under ``torchrun`` each process loads the model on
its own GPU (``cuda:LOCAL_RANK``) unless ``--device-map`` says otherwise, and writes its share of
the store; with ``--shard i/n`` a job array splits the work further.
"""

from __future__ import annotations

import argparse
import os
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("extract", help="extract per-layer activations and option logits to disk",
                              description="Extract per-layer activations (sites x layers) and the A-F option "
                                          "logits of every item into a resumable activation store.")
    p.add_argument("--model", required=True, help="hub id or local checkpoint directory")
    p.add_argument("--data", required=True,
                   help="IMAVB directory or hub id; 'synthetic' (500 clips) or 'synthetic:N' (N clips)")
    p.add_argument("--out", required=True, help="store directory; rerun the same command to resume")
    p.add_argument("--sites", nargs="+", default=None, metavar="SPAN",
                   help="span names: last, image, video, audio, question, options (default: last, the "
                        "media the items carry and the model accepts, question)")
    p.add_argument("--layers", nargs="+", type=int, default=None, help="decoder layers to keep (default all)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--dtype", default="float16", choices=["float16", "float32"], help="dtype on disk")
    p.add_argument("--limit", type=int, default=None, help="only the first N items")
    p.add_argument("--shard", default=None, metavar="i/n", help="this job's share, 0-based (e.g. $SLURM_ARRAY_TASK_ID/8)")
    p.add_argument("--shard-size", type=int, default=None, help="items per shard file (default 32)")
    p.add_argument("--variant", default="A1", help="prompt variant (default A1)")
    p.add_argument("--overwrite", action="store_true", help="delete an existing store at --out first")
    p.add_argument("--model-dtype", default=None, help="weights dtype, e.g. bfloat16 (default: checkpoint's)")
    p.add_argument("--device-map", default=None,
                   help="passed to from_pretrained, e.g. auto (default: cuda:LOCAL_RANK under torchrun, "
                        "auto with one process and a GPU, CPU otherwise)")
    p.add_argument("--trust-remote-code", action="store_true", help="run code shipped with the checkpoint")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def default_device_map(environ: Any = None) -> Any:
    """``{"": "cuda:LOCAL_RANK"}`` under torchrun with GPUs, ``"auto"`` for one process with GPUs, else None."""
    import torch

    env = os.environ if environ is None else environ
    if not torch.cuda.is_available():
        return None
    if int(env.get("WORLD_SIZE", "1")) > 1:
        return {"": f"cuda:{int(env.get('LOCAL_RANK', '0'))}"}
    return "auto"


def load_data(spec: str) -> Any:
    """A benchmark from ``--data``: ``synthetic[:N]`` or an IMAVB directory / hub id."""
    if spec == "synthetic" or spec.startswith("synthetic:"):
        from ..data.synthetic import synthetic_imavb

        return synthetic_imavb(int(spec.split(":", 1)[1]) if ":" in spec else 500)
    from ..data.imavb import load_imavb

    return load_imavb(spec)


def load_model(args: argparse.Namespace) -> Any:
    import senseslens

    load = getattr(senseslens, "load", None)
    if load is None:
        from ..models.loading import load
    device_map = args.device_map if args.device_map is not None else default_device_map()
    return load(args.model, dtype=args.model_dtype, device_map=device_map, trust_remote_code=args.trust_remote_code)


def run(args: argparse.Namespace) -> int:
    from ..capture.extract import DEFAULT_SHARD_SIZE, extract

    benchmark = load_data(args.data)
    model = load_model(args)
    store = extract(model, benchmark, sites=args.sites, out=args.out, batch_size=args.batch_size,
                    variant=args.variant, dtype=args.dtype, limit=args.limit, shard=args.shard,
                    progress=not args.no_progress, overwrite=args.overwrite, layers=args.layers,
                    shard_size=args.shard_size or DEFAULT_SHARD_SIZE)
    print(store)
    if not store.complete:
        print(f"{len(store.missing)} shard(s) not written yet (other workers, or rerun to resume).")
    return 0
