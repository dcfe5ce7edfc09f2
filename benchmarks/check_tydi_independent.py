"""Second implementation of the TyDi GoldP retrieval test, to check `codeswitch evaluate --dataset tydi/<lang>`.

Written apart from evaluation/: it builds the pool from the raw JSON as PROVENANCE.md describes
(deduplicated contexts; sw plus the train contexts), embeds with sentence-transformers directly
(e5 prefixes, normalised, exact inner product in numpy) and scores with pytrec_eval (nDCG@10 with
ndcg_cut_10, Recall@100 with recall_100). It runs twice: passages as ``title + " " + text`` (our
convention, MIRACL's) and as the text alone, because the two give different numbers.

    python benchmarks/check_tydi_independent.py --model $CODESWITCH_E5 --lang sw \\
        --out benchmarks/results/check_tydi_independent.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

FILES = {"sw": "swahili", "te": "telugu", "bn": "bengali", "en": "english", "ar": "arabic", "fi": "finnish"}


def pool(data: Path, lang: str) -> tuple[dict[str, tuple[str, str]], dict[str, str], dict[str, dict[str, int]]]:
    """passages {pid: (title, text)}, queries {qid: text}, qrels {qid: {pid: 1}}."""
    names = [f"{FILES[lang]}_tydiqa_dev.json"] + (["swahili_tydiqa_train.json"] if lang == "sw" else [])
    passages: dict[str, tuple[str, str]] = {}
    pid_of: dict[str, str] = {}
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for i, name in enumerate(names):
        for art in json.loads((data / "tydiqa-goldp" / name).read_text(encoding="utf-8"))["data"]:
            for par in art["paragraphs"]:
                ctx = par["context"]
                if ctx not in pid_of:
                    pid_of[ctx] = f"p{len(pid_of)}"
                    passages[pid_of[ctx]] = (art.get("title") or "", ctx)
                if i == 0:  # dev questions only; train contexts are distractors
                    for qa in par["qas"]:
                        queries[qa["id"]] = qa["question"]
                        qrels[qa["id"]] = {pid_of[ctx]: 1}
    return passages, queries, qrels


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.environ.get("CODESWITCH_E5"), help="e5-small folder (or $CODESWITCH_E5)")
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--lang", default="sw", choices=sorted(FILES))
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    if not a.model:
        sys.exit("error: pass --model PATH (the multilingual-e5-small folder) or set $CODESWITCH_E5")
    import numpy as np
    import pytrec_eval
    from sentence_transformers import SentenceTransformer

    t0 = time.time()
    passages, queries, qrels = pool(a.data_dir, a.lang)
    model = SentenceTransformer(a.model, device="cpu")
    qids = sorted(queries)
    q = model.encode(["query: " + queries[k] for k in qids], batch_size=a.batch_size, normalize_embeddings=True)
    pids = sorted(passages)
    result = {"lang": a.lang, "model": a.model, "n_queries": len(qids), "n_passages": len(pids), "runs": {}}
    for conv, text_of in (("title + text", lambda t: f"{t[0]} {t[1]}"), ("text only", lambda t: t[1])):
        p = model.encode(["passage: " + text_of(passages[k]) for k in pids], batch_size=a.batch_size,
                         normalize_embeddings=True)
        scores = q @ p.T
        run = {}
        for i, qid in enumerate(qids):
            top = np.argsort(-scores[i])[:100]
            run[qid] = {pids[j]: float(scores[i, j]) for j in top}
        ev = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10", "recall_100"})
        per = ev.evaluate(run)
        result["runs"][conv] = {m: round(float(np.mean([v[m] for v in per.values()])), 4)
                                for m in ("ndcg_cut_10", "recall_100")}
        print(a.lang, conv, result["runs"][conv], flush=True)
    result["seconds"] = round(time.time() - t0, 1)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
