"""Training benchmarks: our trainer vs plain sentence-transformers MNRL, sampler overhead, a real fine-tune.

``throughput`` times our trainer, our trainer with ``--freeze-embeddings``, with ``--freeze-layers K``
(each K of ``--freeze-layers``) and plain sentence-transformers side by side in one run (rotating
order, best median of each).

Usage (CPU here; the same commands run on a GPU):

    python benchmarks/bench_train.py throughput --model $CODESWITCH_E5 --steps 12
    python benchmarks/bench_train.py finetune --model $CODESWITCH_E5 --minutes 10

Data: mono + cross pairs built from ../shared/data/xquad (pair_id = question id; mono = question and its
paragraph in one language, cross = question in L, paragraph in M != L). ``finetune`` trains only on the
first 40 of the 48 XQuAD articles (the last 8 are held out for evaluation elsewhere: no leakage).
Results go to benchmarks/results/train_*.json|md (and a loss-curve PNG).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results"
DATA = REPO.parent / "shared" / "data"


def xquad_records(langs, articles: slice, max_questions: int | None = None):
    """Mono + cross Example records from XQuAD articles ``articles`` in ``langs``."""
    from codeswitch.records import Example

    per_q: dict[str, dict[str, tuple[str, str]]] = {}
    order: list[str] = []
    for lang in langs:
        doc = json.loads((DATA / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        for art in doc["data"][articles]:
            for para in art["paragraphs"]:
                for qa in para["qas"]:
                    if lang == langs[0]:
                        order.append(qa["id"])
                    per_q.setdefault(qa["id"], {})[lang] = (qa["question"], para["context"])
    out = []
    for qid in order[:max_questions]:
        for lq in langs:
            for lp in langs:
                out.append(Example(
                    id=f"{qid}:{lq}-{lp}", pair_id=qid, query=per_q[qid][lq][0], passage=per_q[qid][lp][1],
                    query_lang=lq, passage_lang=lp, kind="mono" if lq == lp else "cross", meta={"source": "xquad"},
                ))
    return out


class StepTimer:
    """Trainer callback recording wall time at the end of every optimizer step."""

    def __new__(cls):
        from transformers import TrainerCallback

        class _Timer(TrainerCallback):
            def __init__(self):
                self.times: list[float] = []

            def on_train_begin(self, args, state, control, **kw):
                self.times = [time.perf_counter()]

            def on_step_end(self, args, state, control, **kw):
                self.times.append(time.perf_counter())

        return _Timer()


def _step_stats(times: list[float], skip: int = 2) -> dict:
    steps = [b - a for a, b in zip(times, times[1:], strict=False)][skip:]
    return {"steps_timed": len(steps), "median_step_s": statistics.median(steps), "mean_step_s": statistics.mean(steps)}


def plain_st_run(model_path, data_path, batch_size, steps, max_len_q, max_len_p, seed) -> dict:
    """The baseline: SentenceTransformerTrainer + MNRL + NO_DUPLICATES batches, nothing of ours."""
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from training.data import load_train_data

    data = load_train_data(data_path)
    ds = data.to_dataset()
    model = SentenceTransformer(str(model_path), device="cpu")
    model.max_seq_length = max(max_len_q, max_len_p)
    timer = StepTimer()
    with tempfile.TemporaryDirectory() as tmp:
        args = SentenceTransformerTrainingArguments(
            output_dir=tmp, per_device_train_batch_size=batch_size, max_steps=steps, learning_rate=3e-5,
            warmup_steps=0.1, seed=seed, save_strategy="no", report_to="none", logging_steps=10,
            batch_sampler=BatchSamplers.NO_DUPLICATES, use_cpu=True, dataloader_drop_last=True,
            prompts={"query": "query: ", "passage": "passage: "},
        )
        SentenceTransformerTrainer(model=model, args=args, train_dataset=ds,
                                   loss=MultipleNegativesRankingLoss(model), callbacks=[timer]).train()
    return _step_stats(timer.times)


def our_run(model_path, data_path, batch_size, steps, max_len_q, max_len_p, seed, out, freeze=False,
            freeze_layers=0) -> dict:
    from training.config import TrainConfig
    from training.trainer import train

    timer = StepTimer()
    cfg = TrainConfig(data=str(data_path), model=str(model_path), out=str(out), batch_size=batch_size,
                      max_steps=steps, seed=seed, max_query_length=max_len_q, max_passage_length=max_len_p,
                      query_prefix="query: ", passage_prefix="passage: ", save_steps=10**6, device="cpu",
                      freeze_embeddings=freeze, freeze_layers=freeze_layers)
    t0 = time.perf_counter()
    train(cfg, overwrite=True, callbacks=[timer])
    return {**_step_stats(timer.times), "total_s": time.perf_counter() - t0}


def sampler_overhead(data_path, batch_size, batches: int) -> dict:
    """Seconds per batch spent in our sampler (plan) and in the realised-mix bookkeeping."""
    from training.data import load_train_data
    from training.sampler import HybridBatchSampler

    d = load_train_data(data_path)
    t0 = time.perf_counter()
    s = HybridBatchSampler(d.pair_ids, d.query_langs, d.passage_langs, batch_size, seed=13)
    build = time.perf_counter() - t0
    done, t0 = 0, time.perf_counter()
    epoch = 0
    while done < batches:
        s.set_epoch(epoch)
        for _ in s:
            done += 1
            if done == batches:
                break
        epoch += 1
    per_batch = (time.perf_counter() - t0) / batches
    t0 = time.perf_counter()
    s.realised_mix(batches)
    mix_per_batch = (time.perf_counter() - t0) / batches
    return {"records": len(d), "build_s": build, "sampler_s_per_batch": per_batch,
            "batch_mix_s_per_batch": mix_per_batch}


def cmd_throughput(a) -> None:
    from codeswitch.example_io import write_examples

    RESULTS.mkdir(parents=True, exist_ok=True)
    layer_counts = [int(k) for k in a.freeze_layers.split(",") if k.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "xquad.jsonl"
        write_examples(xquad_records(("en", "de", "es", "ru"), slice(0, 40)), data)
        common = (a.model, data, a.batch_size, a.steps, a.max_query_length, a.max_passage_length, a.seed)
        # rotate the order (ours, plain, frozen, ...; plain, frozen, ..., ours; ...) and keep each system's
        # fastest median, so load from other jobs on a shared machine penalises no side systematically
        systems = {"ours": lambda: our_run(*common, Path(tmp) / "ours"),
                   "plain": lambda: plain_st_run(*common),
                   "frozen": lambda: our_run(*common, Path(tmp) / "frozen", freeze=True)}
        for k in layer_counts:
            systems[f"frozen_layers_{k}"] = lambda k=k: our_run(*common, Path(tmp) / f"fl{k}", freeze_layers=k)
        names = list(systems)
        runs: dict[str, list[dict]] = {n: [] for n in names}
        for r in range(a.repeats):
            for name in names[r % len(names):] + names[:r % len(names)]:
                runs[name].append(systems[name]())
        best = {n: min(runs[n], key=lambda x: x["median_step_s"]) for n in names}
        over = sampler_overhead(data, a.batch_size, 2000)
    step = best["ours"]["median_step_s"]
    res = {
        "model": str(a.model), "batch_size": a.batch_size, "steps": a.steps,
        "max_query_length": a.max_query_length, "max_passage_length": a.max_passage_length,
        "device": "cpu", "cpus": _cpus(), "python": platform.python_version(), "repeats": a.repeats,
        "loadavg_1m_at_start": a.loadavg_at_start,
        "all_medians": {k: [x["median_step_s"] for x in v] for k, v in runs.items()},
        "ours_hybrid": {**best["ours"], "pairs_per_s": a.batch_size / step},
        "plain_st_mnrl_no_duplicates": {**best["plain"], "pairs_per_s": a.batch_size / best["plain"]["median_step_s"]},
        "ours_hybrid_frozen_embeddings": {**best["frozen"],
                                          "pairs_per_s": a.batch_size / best["frozen"]["median_step_s"]},
        "frozen_speedup": step / best["frozen"]["median_step_s"],
        "frozen_layers": {str(k): {**best[f"frozen_layers_{k}"],
                                   "pairs_per_s": a.batch_size / best[f"frozen_layers_{k}"]["median_step_s"],
                                   "speedup": step / best[f"frozen_layers_{k}"]["median_step_s"]}
                          for k in layer_counts},
        "loadavg_1m_at_end": os.getloadavg()[0],
        "sampler": over,
        "sampler_plus_bookkeeping_pct_of_step": 100 * (over["sampler_s_per_batch"] + over["batch_mix_s_per_batch"])
        / step,
    }
    (RESULTS / "train_throughput.json").write_text(json.dumps(res, indent=2) + "\n")
    rows = [("ours (hybrid, alpha 0.5)", best["ours"]), ("plain ST MNRL (NO_DUPLICATES)", best["plain"]),
            ("ours, --freeze-embeddings", best["frozen"])]
    rows += [(f"ours, --freeze-layers {k}", best[f"frozen_layers_{k}"]) for k in layer_counts]
    md = [
        f"# Training throughput ({Path(a.model).name}, batch {a.batch_size}, lengths {a.max_query_length}/"
        f"{a.max_passage_length}, CPU {res['cpus']} cores, best of {a.repeats} rotating runs)\n",
        "`python benchmarks/bench_train.py throughput " + " ".join(sys.argv[2:]) + "`\n",
        "| run | median s/step | pairs/s | speed-up vs ours |", "|---|---:|---:|---:|",
        *(f"| {label} | {r['median_step_s']:.3f} | {a.batch_size / r['median_step_s']:.1f} | "
          f"{step / r['median_step_s']:.2f}x |" for label, r in rows),
        "",
        f"Load average {res['loadavg_1m_at_start']:.2f} at the start, {res['loadavg_1m_at_end']:.2f} at the end.",
        "",
        f"Sampler: {1e3 * over['sampler_s_per_batch']:.3f} ms/batch; batch-mix bookkeeping "
        f"{1e3 * over['batch_mix_s_per_batch']:.3f} ms/batch; together "
        f"{res['sampler_plus_bookkeeping_pct_of_step']:.3f}% of a step ({over['records']} records).",
    ]
    (RESULTS / "train_throughput.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def cmd_finetune(a) -> None:
    from transformers import TrainerCallback

    from codeswitch.example_io import write_examples
    from training.config import TrainConfig
    from training.trainer import train

    RESULTS.mkdir(parents=True, exist_ok=True)
    langs = tuple(a.langs.split(","))
    records = xquad_records(langs, slice(0, 40))
    deadline = time.perf_counter() + 60 * a.minutes

    class Deadline(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if time.perf_counter() > deadline:
                control.should_training_stop = True

    out = Path(a.out)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "xquad_train_articles.jsonl"
        write_examples(records, data)
        cfg = TrainConfig(data=str(data), model=str(a.model), out=str(out), batching="hybrid", alpha=0.5,
                          batch_size=a.batch_size, max_steps=a.max_steps, seed=13, learning_rate=3e-5,
                          max_query_length=a.max_query_length, max_passage_length=a.max_passage_length,
                          query_prefix="query: ", passage_prefix="passage: ", val_fraction=0.02,
                          eval_steps=a.eval_steps, save_steps=a.eval_steps, logging_steps=5, device="cpu")
        t0 = time.perf_counter()
        train(cfg, overwrite=True, callbacks=[Deadline()])
        wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log = json.loads((out / "train_log.json").read_text())
    mix = json.loads((out / "batch_mix.json").read_text())
    losses = [(e["step"], e["loss"]) for e in log if "loss" in e]
    evals = [(e["step"], e["eval_loss"]) for e in log if "eval_loss" in e]
    res = {"model": str(a.model), "languages": langs, "records": len(records), "articles": "0-39 of 48",
           "batch_size": a.batch_size,
           "steps": json.loads((out / "data_stats.json").read_text())["global_steps"], "wall_s": wall,
           "peak_rss_mb": peak_mb, "loss_curve": losses, "eval_loss_curve": evals,
           "mono_fraction": mix["mono_fraction"], "batches_by_kind": mix["batches_by_kind"],
           "mono_batches_by_language": mix["mono_batches_by_language"], "cpus": _cpus()}
    (RESULTS / "train_finetune_e5.json").write_text(json.dumps(res, indent=2) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(*zip(*losses, strict=True), label="train loss")
        if evals:
            ax.plot(*zip(*evals, strict=True), "o-", label="validation loss")
        ax.set_xlabel("step")
        ax.set_ylabel("InfoNCE loss")
        ax.set_title(f"multilingual-e5-small, hybrid alpha 0.5, batch {a.batch_size}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(RESULTS / "train_finetune_e5_loss.png", dpi=100)
    except ImportError:
        pass
    print(json.dumps({k: v for k, v in res.items() if "curve" not in k}, indent=2))


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("throughput", "finetune"):
        s = sub.add_parser(name)
        s.add_argument("--model", default=os.environ.get("CODESWITCH_E5"),
                       help="encoder directory or hub id (default: $CODESWITCH_E5)")
        s.add_argument("--batch-size", type=int, default=32)
        s.add_argument("--max-query-length", type=int, default=32)
        s.add_argument("--max-passage-length", type=int, default=128)
        s.add_argument("--seed", type=int, default=13)
    sub.choices["throughput"].add_argument("--steps", type=int, default=12)
    sub.choices["throughput"].add_argument("--repeats", type=int, default=3)
    sub.choices["throughput"].add_argument("--freeze-layers", default="6,9,10",
                                           help="comma-separated K: also time --freeze-layers K")
    ft = sub.choices["finetune"]
    ft.add_argument("--minutes", type=float, default=10.0, help="stop at the first step after this wall time")
    ft.add_argument("--max-steps", type=int, default=300)
    ft.add_argument("--eval-steps", type=int, default=50)
    ft.add_argument("--langs", default="en,de,es,ru,zh,ar")
    ft.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "e5-small-hybrid"))
    a = p.parse_args()
    a.loadavg_at_start = os.getloadavg()[0]
    if not a.model:
        p.error("give --model DIR or set CODESWITCH_E5 (build it: python ../shared/tools/make_e5_small.py DIR)")
    {"throughput": cmd_throughput, "finetune": cmd_finetune}[a.cmd](a)


if __name__ == "__main__":
    main()
