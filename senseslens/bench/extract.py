"""Benchmarks of `senseslens.capture.extract`: time overhead and memory growth.

``extract_overhead_ratio``: wall time of ``extract`` (prompt building, processor, traced forward,
device->host copies, shard writes, manifest) over a plain HF forward with
``output_hidden_states=True`` on the same pre-encoded batches, for a ~32M-parameter LLaVA-style
model built from its config (Llama text model: hidden 512, 10 layers, FFN 1536). Target <= 1.05.
Also reported: the ratio over "processor + plain forward", what a hand-written loop also pays.
``value`` is the median, over short interleaved pairs (order alternated), of
wall(extract of 32 items (quick: 16) into a fresh store) / wall(plain forward of the same two batches): on
shared machines the load drifts on a scale of seconds, and pairing lets both sides see the same
load. Quartiles, the CPU-time ratio, the ratio of summed times and the fixed per-call cost
(fingerprint, manifest; measured on a finished store) are reported beside it, with the load
average. One torch thread.

``extract_rss_ratio_10x``: peak resident memory (``ru_maxrss``) of a fresh process extracting
10x as many items as another, same model and settings. Target <= 1.10. ``ru_maxrss`` includes
imports and model construction, which can hide a small leak, so the JSON also holds the RSS
growth *during* extraction (sampled every 5 ms from ``/proc/self/statm``) and the bytes of the
10x store on disk, i.e. what keeping everything in memory would add.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_OVERHEAD_MODEL = dict(hidden_size=512, intermediate_size=1536, num_hidden_layers=10,
                       num_attention_heads=8, num_key_value_heads=4, head_dim=64)
# Deep and narrow: cheap forwards but many stored vectors per item, so caching would show.
_RSS_MODEL = dict(hidden_size=256, intermediate_size=256, num_hidden_layers=24,
                  num_attention_heads=4, num_key_value_heads=2, head_dim=64)


def bench_model(sizes: dict[str, int], seed: int = 0) -> Any:
    """An `OmniModel` around a LLaVA built from the tiny recipe with a resized text model."""
    import torch

    from ..models.loading import load
    from ..testing.tiny import tiny_recipe

    recipe = tiny_recipe("llava")
    config = recipe.make_config()
    for key, value in sizes.items():
        setattr(config.text_config, key, value)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        hf = recipe.model_class(config).float().eval()
    return load(hf, processor=recipe.make_processor(), name="bench-llava")


def _benchmark(n_items: int) -> Any:
    from ..data.synthetic import synthetic_imavb

    return synthetic_imavb(-(-n_items // 4))[:n_items]


def _n_params(model: Any) -> int:
    return sum(p.numel() for p in model.hf.parameters())


def overhead(quick: bool) -> dict[str, Any]:
    import torch

    from ..capture.extract import _prompt_builder, extract

    torch.set_num_threads(1)
    n_items, batch_size, pairs = (16, 8, 8) if quick else (32, 8, 16)
    model = bench_model(_OVERHEAD_MODEL)
    bench = _benchmark(n_items)
    build = _prompt_builder(model, "A1", None)
    batches = [model.encode([build(it) for it in bench.items[i:i + batch_size]])
               for i in range(0, n_items, batch_size)]

    def forward_all() -> None:
        with torch.no_grad():
            for b in batches:
                model.hf(**b.inputs, output_hidden_states=True)

    def timed(fn: Any) -> tuple[float, float, Any]:
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        return time.perf_counter() - w, time.process_time() - c, result

    forward_all()  # warm-up
    rows = []
    with tempfile.TemporaryDirectory(prefix="senseslens-bench-") as tmp:
        extract(model, bench, out=Path(tmp) / "warm", batch_size=batch_size, progress=False)
        fixed_wall, _, _ = timed(lambda: extract(model, bench, out=Path(tmp) / "warm", batch_size=batch_size,
                                                 progress=False))  # nothing left to do: fixed costs only
        for k in range(pairs):  # short interleaved pairs, order alternated: both sides see the same load
            run_extract = lambda: extract(model, bench, out=Path(tmp) / f"p{k}",  # noqa: E731
                                          batch_size=batch_size, progress=False)
            if k % 2:
                ew, ec, store = timed(run_extract)
                fw, fc, _ = timed(forward_all)
            else:
                fw, fc, _ = timed(forward_all)
                ew, ec, store = timed(run_extract)
            assert store.complete and len(store) == n_items
            rows.append({"forward_wall": fw, "forward_cpu": fc, "extract_wall": ew, "extract_cpu": ec})
        disk = sum(p.stat().st_size for p in (Path(tmp) / "p0").rglob("*") if p.is_file())
    wall_ratios = [r["extract_wall"] / r["forward_wall"] for r in rows]
    cpu_ratios = [r["extract_cpu"] / r["forward_cpu"] for r in rows]
    value = statistics.median(wall_ratios)
    return {
        "value": round(value, 4), "target": "<= 1.05", "passed": value <= 1.05, "unit": "ratio",
        "statistic": "median over interleaved pairs of wall(extract) / wall(plain forward), same batches",
        "ratio_wall_quartiles": [round(q, 4) for q in statistics.quantiles(wall_ratios, n=4)],
        "ratio_cpu_median": round(statistics.median(cpu_ratios), 4),
        "ratio_sum_wall": round(sum(r["extract_wall"] for r in rows) / sum(r["forward_wall"] for r in rows), 4),
        "fixed_cost_s": round(fixed_wall, 4),
        "forward_wall_over_cpu": round(statistics.median(r["forward_wall"] / r["forward_cpu"] for r in rows), 3),
        "load_average_1min": round(os.getloadavg()[0], 2), "cpu_count": os.cpu_count(),
        "pairs": [{k: round(v, 4) for k, v in r.items()} for r in rows],
        "items_per_call": n_items, "batch_size": batch_size,
        "sites": list(store.sites), "layers": store.n_layers, "d_model": store.d_model,
        "params": _n_params(model), "store_bytes_per_call": disk, "dtype": "float16", "torch_threads": 1,
    }


def _current_rss_kb() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


class _RssSampler:
    """Highest current RSS seen every 5 ms while active (Linux ``/proc``)."""

    def __init__(self) -> None:
        import threading

        self.peak, self._stop = _current_rss_kb(), threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _current_rss_kb())

    def __enter__(self) -> "_RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _current_rss_kb())


def _rss_child(n_items: int, out: str) -> None:
    import resource

    import torch

    from ..capture.extract import extract

    torch.set_num_threads(1)
    model = bench_model(_RSS_MODEL)
    bench = _benchmark(n_items)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start_rss = _current_rss_kb()
    with _RssSampler() as sampler:
        store = extract(model, bench, out=out, batch_size=8, dtype="float32", progress=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    disk = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    print(json.dumps({"items": len(store), "maxrss_kb": peak, "maxrss_before_extract_kb": before,
                      "rss_at_extract_start_kb": start_rss, "rss_peak_during_extract_kb": sampler.peak,
                      "store_bytes": disk}))


def rss(quick: bool) -> dict[str, Any]:
    small = 24 if quick else 160
    runs = {}
    with tempfile.TemporaryDirectory(prefix="senseslens-bench-") as tmp:
        for label, n in (("1x", small), ("10x", 10 * small)):
            env = dict(os.environ, OMP_NUM_THREADS="1")
            res = subprocess.run([sys.executable, "-m", __name__, "--rss-child", str(n), str(Path(tmp) / label)],
                                 capture_output=True, text=True, env=env, timeout=3600)
            if res.returncode != 0:
                raise RuntimeError(f"RSS child ({n} items) failed: {res.stderr[-2000:]}")
            runs[label] = json.loads(res.stdout.strip().splitlines()[-1])
    value = runs["10x"]["maxrss_kb"] / runs["1x"]["maxrss_kb"]
    return {
        "value": round(value, 4), "target": "<= 1.10", "passed": value <= 1.10, "unit": "ratio",
        "items_1x": small, "items_10x": 10 * small,
        "maxrss_kb_1x": runs["1x"]["maxrss_kb"], "maxrss_kb_10x": runs["10x"]["maxrss_kb"],
        "maxrss_before_extract_kb_1x": runs["1x"]["maxrss_before_extract_kb"],
        "maxrss_before_extract_kb_10x": runs["10x"]["maxrss_before_extract_kb"],
        "rss_growth_during_extract_kb_1x": runs["1x"]["rss_peak_during_extract_kb"] - runs["1x"]["rss_at_extract_start_kb"],
        "rss_growth_during_extract_kb_10x": runs["10x"]["rss_peak_during_extract_kb"]
        - runs["10x"]["rss_at_extract_start_kb"],
        "store_bytes_10x": runs["10x"]["store_bytes"], "dtype": "float32",
        "model": {k: v for k, v in _RSS_MODEL.items() if k != "head_dim"},
    }


def run(quick: bool) -> dict[str, dict[str, Any]]:
    return {"extract_overhead_ratio": overhead(quick), "extract_rss_ratio_10x": rss(quick)}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--rss-child":
        _rss_child(int(sys.argv[2]), sys.argv[3])
    else:
        print(json.dumps(run("--quick" in sys.argv), indent=1))
