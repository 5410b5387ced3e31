"""``senseslens demo`` and ``senseslens run``: the whole study from the command line."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

#: the demo's benchmark: fresh synthetic clips (seed distinct from the organism's training seeds)
DEMO_CLIPS = 500
DEMO_SEED = 2026


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser("demo", help="the whole study on the shipped model organism and a synthetic IMAVB")
    demo.add_argument("--out", default="runs/demo", help="output directory (report.json, report.md, figures/)")
    demo.add_argument("--clips", type=int, default=DEMO_CLIPS, help="synthetic clips (4 items each)")
    demo.add_argument("--seed", type=int, default=DEMO_SEED, help="seed of the synthetic benchmark")
    demo.add_argument("--no-causal", action="store_true", help="skip logit lens, patching, knockout and steering")
    demo.set_defaults(func=_demo)

    run = subparsers.add_parser("run", help="the whole study on a checkpoint and an IMAVB directory or hub id")
    run.add_argument("--model", required=True, help="hub id or local checkpoint directory")
    run.add_argument("--data", required=True, help="IMAVB directory, hub dataset id, or 'synthetic'")
    run.add_argument("--out", required=True, help="output directory")
    run.add_argument("--limit", type=int, default=None, help="only the first N items of each split (trial runs)")
    run.add_argument("--shard", default=None, help="i/n: extract only worker i's shards (job arrays); rerun without it to analyse")
    run.add_argument("--batch-size", type=int, default=1, help="items per forward (1 for long clips on one GPU)")
    run.add_argument("--dtype", default="bfloat16", help="model dtype (bfloat16, float16, float32)")
    run.add_argument("--device-map", default="auto", help="passed to from_pretrained ('auto' spreads a large model over GPUs)")
    run.add_argument("--attn-implementation", default=None, help="e.g. sdpa, eager, flash_attention_2")
    run.add_argument("--n-frames", type=int, default=50, help="video frames per clip (paper: 50)")
    run.add_argument("--trust-remote-code", action="store_true", help="allow code from the checkpoint (remote-code models only)")
    run.add_argument("--no-causal", action="store_true", help="skip logit lens, patching, knockout and steering")
    run.set_defaults(func=_run)


def _demo(args: argparse.Namespace) -> int:
    import senseslens as sl
    from senseslens.data.synthetic import synthetic_imavb
    from senseslens.study import StudyConfig, study

    start = time.perf_counter()
    model = sl.load_organism()
    bench = synthetic_imavb(n_clips=args.clips, seed=args.seed)
    result = study(model, bench, args.out, config=StudyConfig(causal=not args.no_causal))
    _summary(result.report, Path(args.out), time.perf_counter() - start)
    return 0


def _run(args: argparse.Namespace) -> int:
    import senseslens as sl
    from senseslens.capture.extract import extract
    from senseslens.study import StudyConfig, study

    model = sl.load(args.model, dtype=args.dtype, device_map=args.device_map, attn_implementation=args.attn_implementation,
                    trust_remote_code=args.trust_remote_code)
    if args.data == "synthetic":
        from senseslens.data.synthetic import synthetic_imavb

        bench = synthetic_imavb(n_clips=args.limit or DEMO_CLIPS, seed=DEMO_SEED)
    else:
        bench = sl.data.load_imavb(args.data, limit=args.limit)
    config = StudyConfig(batch_size=args.batch_size, n_frames=args.n_frames, causal=not args.no_causal)
    if args.shard:
        extract(model, bench, out=Path(args.out) / "store", batch_size=args.batch_size, variant=config.variant, dtype=config.dtype, shard=args.shard)
        print(f"worker {args.shard} done; when every worker has finished, rerun without --shard to analyse.")
        return 0
    start = time.perf_counter()
    result = study(model, bench, args.out, config=config)
    _summary(result.report, Path(args.out), time.perf_counter() - start)
    return 0


def _summary(report: dict, out: Path, seconds: float) -> None:
    b = report.get("behavior", {})
    print(f"\n{report.get('model')}: {report.get('n_items')} items in {seconds:.0f} s -> {out / 'report.md'}")
    print(f"  behaviour  std_v {b.get('std_v')}  std_a {b.get('std_a')}  mis_v {b.get('mis_v')}  mis_a {b.get('mis_a')}  Bal {b.get('bal')}  ({b.get('mode')})")
    for m in ("vision", "audio"):
        g = report.get("gap", {}).get(m, {})
        if isinstance(g, dict) and g:
            print(f"  {m:6s}  probe AUROC {g.get('probe_auroc')}  own-margin AUROC {g.get('margin_auroc')}  "
                  f"gap {g.get('auroc_gap')} [{g.get('auroc_gap_low')}, {g.get('auroc_gap_high')}]  (same held-out {m} items, layer {int(g['layer']) if g.get('layer') is not None else '?'})")
    print(f"  figures: {', '.join(report.get('figures', []))}")
