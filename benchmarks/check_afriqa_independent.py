#!/usr/bin/env python
"""Independent check of the AfriQA-dev cross-lingual retrieval test.

Written apart from the toolkit's ``evaluation/`` package (nothing there is read
or imported) so that its numbers can be compared with a second implementation.
The test follows ``shared/data/afriqa-dev/PROVENANCE.md``:

* every text is normalised: Unicode NFC, each run of whitespace -> one space,
  stripped (contexts, questions and titles alike);
* pool = union of the normalised ``context`` of all six gold-passage dev files,
  deduplicated by normalised text; a passage keeps the (normalised) ``title`` of
  its first occurrence, files in sorted name order, rows in file order;
  1,507 passages; docids ``afq-0000`` .. ``afq-1506`` in that order;
* queries per language = ``question_lang`` of every gold row whose context and
  question are non-empty strings (after normalisation); the others are dropped
  and counted; query id ``<iso>-dev-<id>`` (iso: bem, ha, ig, rw, tw, zu);
  relevant = the row's own gold context (exactly one relevant passage);
* upper bound = the same rows with ``question_translated`` (English) as query;
* passages embedded as ``title + " " + text``; a passage whose first-occurrence
  title is null (five Bemba rows) is embedded as ``text`` alone;
* multilingual-e5-small, "query: " / "passage: " prefixes, L2-normalised
  embeddings, batch 32, the model's own max_seq_length; exact search by numpy
  dot product over the whole pool; top 100 kept;
* ranking order = score descending, ties broken by docid descending (string
  comparison, as trec_eval does; docids are zero-padded so this is also the
  reverse pool order).  pytrec_eval re-sorts a run the same way, so our own
  ranks and pytrec_eval's agree even when scores tie;
* metrics: nDCG@10 (``ndcg_cut_10``) and Recall@100 (``recall_100``) with
  pytrec_eval; MRR@10 computed here from the ranking and, as a cross-check, with
  pytrec_eval ``recip_rank`` on the run cut at rank 10 (must agree).

Usage::

    python benchmarks/check_afriqa_independent.py [--model PATH] [--data DIR]
        [--out DIR] [--langs bem ha ig rw tw zu]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import lzma
import math
import os
import platform
import re
import sys
import time
import unicodedata
from collections import OrderedDict

import numpy as np

# AfriQA file code -> code used in query ids and reports (ISO 639-1 where one exists)
LANGS = OrderedDict([("bem", "bem"), ("hau", "ha"), ("ibo", "ig"),
                     ("kin", "rw"), ("twi", "tw"), ("zul", "zu")])
ISO2AFQ = {v: k for k, v in LANGS.items()}
EXPECTED_QUERIES = {"bem": 235, "hau": 222, "ibo": 307, "kin": 230, "twi": 348, "zul": 242}
EXPECTED_POOL = 1507
FILE_PATTERN = "gold_span_passages.afriqa.{}.en.dev.json"
TOPK = 100
HAND_CHECK = ["ha", "ig", "zu"]  # first query of each is checked by hand

_WS = re.compile(r"\s+")


def norm(text: str) -> str:
    """NFC, every whitespace run -> one space, stripped."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def norm_or_empty(value) -> str:
    """Normalised string, or '' for anything that is not a string (None, NaN)."""
    return norm(value) if isinstance(value, str) else ""


def read_jsonl(path: str):
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))  # json accepts the bare NaN tokens
    return rows


# --------------------------------------------------------------------------- data
def build_test(data_dir: str):
    """Return pool (list of dicts), text->docid, and per-language query rows."""
    gold_dir = os.path.join(data_dir, "gold_passages")
    if not os.path.isdir(gold_dir):
        gold_dir = data_dir
    files = sorted(FILE_PATTERN.format(code) for code in LANGS)
    # Sorted file names give bem, hau, ibo, kin, twi, zul: the same as LANGS order.
    pool, text2id = [], {}
    per_lang = OrderedDict()
    facts = {"duplicate_occurrences": 0, "null_title_first_occurrence": [],
             "title_changed_by_norm": 0, "context_changed_by_norm": 0,
             "context_changed_by_nfc": 0, "first_title_differs_from_later": []}
    for fname in files:
        code = fname.split(".")[2]
        rows = read_jsonl(os.path.join(gold_dir, fname))
        kept, dropped = [], {"empty_context": 0, "bad_question": 0,
                             "empty_context_and_bad_question": 0}
        for r in rows:
            raw_ctx = r.get("context")
            ctx = norm_or_empty(raw_ctx)
            if isinstance(raw_ctx, str):
                if raw_ctx != ctx:
                    facts["context_changed_by_norm"] += 1
                if raw_ctx != unicodedata.normalize("NFC", raw_ctx):
                    facts["context_changed_by_nfc"] += 1
            q = norm_or_empty(r.get("question_lang"))
            if ctx:
                raw_title = r.get("title")
                title = norm_or_empty(raw_title)
                if isinstance(raw_title, str) and raw_title != title:
                    facts["title_changed_by_norm"] += 1
                if ctx in text2id:
                    facts["duplicate_occurrences"] += 1
                    first = pool[text2id[ctx]]
                    if first["title"] != title:
                        facts["first_title_differs_from_later"].append(
                            {"docid": first["docid"], "first": first["title"],
                             "later": title, "later_row": f"{code}:{r.get('id')}"})
                else:
                    docid = f"afq-{len(pool):04d}"
                    text2id[ctx] = len(pool)
                    pool.append({"docid": docid, "title": title, "text": ctx,
                                 "first_row": f"{code}:{r.get('id')}"})
                    if not isinstance(raw_title, str):
                        facts["null_title_first_occurrence"].append(f"{code}:{r.get('id')} -> {docid}")
            if not ctx and not q:
                dropped["empty_context_and_bad_question"] += 1
            elif not ctx:
                dropped["empty_context"] += 1
            elif not q:
                dropped["bad_question"] += 1
            else:
                kept.append({"id": str(r.get("id")), "q": q,
                             "q_en": norm_or_empty(r.get("question_translated")),
                             "ctx": ctx})
        per_lang[code] = {"rows": len(rows), "kept": kept, "dropped": dropped}
    # attach docids (after the whole pool exists; each row's own context is in it)
    for code, d in per_lang.items():
        for k in d["kept"]:
            k["rel"] = pool[text2id[k["ctx"]]]["docid"]
        ids = [k["id"] for k in d["kept"]]
        assert len(ids) == len(set(ids)), f"duplicate ids in {code}"
    return pool, per_lang, facts


# --------------------------------------------------------------------------- search
def rank_all(q_emb: np.ndarray, p_emb: np.ndarray):
    """Full ranking for every query: score desc, ties by docid desc.

    Returns (order, scores): order[i] = pool indices best first (all 1507),
    scores = float32 score matrix.
    """
    scores = q_emb @ p_emb.T  # exact inner product (= cosine, embeddings normalised)
    n = p_emb.shape[0]
    neg_idx = -np.arange(n)
    order = np.empty(scores.shape, dtype=np.int64)
    for i in range(scores.shape[0]):
        # lexsort: last key is primary. primary: -score asc (score desc);
        # secondary: -index asc (index desc = docid desc, docids zero-padded).
        order[i] = np.lexsort((neg_idx, -scores[i]))
    return order, scores


def make_run(qids, order, scores, docids, k):
    run = {}
    for i, qid in enumerate(qids):
        run[qid] = {docids[j]: float(scores[i, j]) for j in order[i, :k]}
    return run


def first_rel_rank(order_row, rel_index):
    """1-based rank of the relevant passage in the full ranking."""
    return int(np.nonzero(order_row == rel_index)[0][0]) + 1


# --------------------------------------------------------------------------- main
def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description="Independent implementation of the AfriQA-dev cross-lingual retrieval "
                    "test (multilingual-e5-small, exact dot-product search, pytrec_eval "
                    "metrics), following shared/data/afriqa-dev/PROVENANCE.md.")
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap.add_argument("--model", default="/root/.cache/e5-small",
                    help="sentence-transformers directory of multilingual-e5-small "
                         "(default: %(default)s)")
    ap.add_argument("--data", default=os.path.normpath(os.path.join(root, "..", "shared", "data", "afriqa-dev")),
                    help="afriqa-dev folder (holding gold_passages/) (default: %(default)s)")
    ap.add_argument("--out", default=os.path.join(here, "results", "afriqa-independent"),
                    help="output folder for runs, qrels, JSON and README (default: %(default)s)")
    ap.add_argument("--langs", nargs="+", default=list(LANGS.values()),
                    help="languages to evaluate, ISO (bem ha ig rw tw zu) or AfriQA codes "
                         "(bem hau ibo kin twi zul); the pool always uses all six files "
                         "(default: all six)")
    ap.add_argument("--batch-size", type=int, default=32, help="encoding batch size (default: 32)")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: 2)")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()
    langs = []
    for name in args.langs:
        code = name if name in LANGS else ISO2AFQ.get(name)
        if code is None:
            sys.exit(f"unknown language {name!r}; use one of {list(LANGS.values())}")
        langs.append(code)

    if not os.path.isdir(args.model):
        print(f"model directory {args.model} is absent: cannot run the dense check; stopping.")
        return 2

    # ---------------- data
    pool, per_lang, facts = build_test(args.data)
    print(f"pool: {len(pool)} passages (expected {EXPECTED_POOL}); "
          f"{facts['duplicate_occurrences']} duplicate context occurrences merged")
    assert len(pool) == EXPECTED_POOL, f"pool size {len(pool)} != {EXPECTED_POOL}"
    print(f"passages whose first-occurrence title is null (embedded as text only): "
          f"{facts['null_title_first_occurrence']}")
    if facts["first_title_differs_from_later"]:
        print(f"duplicates whose later title differs from the first: {facts['first_title_differs_from_later']}")
    print(f"titles changed by normalisation: {facts['title_changed_by_norm']}; contexts changed by "
          f"normalisation: {facts['context_changed_by_norm']} (by NFC alone: {facts['context_changed_by_nfc']})")
    for code in LANGS:
        d = per_lang[code]
        n_drop = sum(d["dropped"].values())
        print(f"  {LANGS[code]:>3} ({code}): rows {d['rows']}, queries {len(d['kept'])} "
              f"(expected {EXPECTED_QUERIES[code]}), dropped {n_drop} {d['dropped']}")
        assert len(d["kept"]) == EXPECTED_QUERIES[code], f"{code}: {len(d['kept'])} queries"
        assert all(k["q_en"] for k in d["kept"]), f"{code}: empty question_translated"

    # ---------------- model
    import torch
    torch.set_num_threads(args.threads)
    import pytrec_eval
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(args.model, device="cpu")
    max_len = model.max_seq_length
    print(f"model {args.model}; max_seq_length {max_len}")

    def encode(texts, prefix):
        return model.encode([prefix + t for t in texts], batch_size=args.batch_size,
                            normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False).astype(np.float32)

    docids = [p["docid"] for p in pool]
    doc_index = {d: i for i, d in enumerate(docids)}
    passages = [(p["title"] + " " + p["text"]) if p["title"] else p["text"] for p in pool]
    t0 = time.time()
    p_emb = encode(passages, "passage: ")
    t_pass = time.time() - t0
    print(f"encoded {len(passages)} passages in {t_pass:.1f}s")

    os.makedirs(args.out, exist_ok=True)
    # qrels (shared by cross-lingual and English runs: same qids)
    qrels_all = {}
    with open(os.path.join(args.out, "qrels.afriqa-dev.txt"), "w", encoding="utf-8") as fh:
        for code in LANGS:
            for k in per_lang[code]["kept"]:
                qid = f"{LANGS[code]}-dev-{k['id']}"
                qrels_all[qid] = {k["rel"]: 1}
                fh.write(f"{qid} 0 {k['rel']} 1\n")
    with open(os.path.join(args.out, "docid_map.tsv"), "w", encoding="utf-8") as fh:
        fh.write("docid\tsha1_of_normalised_text\tfirst_row\ttitle\ttext_first60\n")
        for p in pool:
            h = hashlib.sha1(p["text"].encode("utf-8")).hexdigest()
            fh.write(f"{p['docid']}\t{h}\t{p['first_row']}\t{p['title']}\t{p['text'][:60]}\n")

    results = OrderedDict()
    hand = []
    ties = {}
    t_q = 0.0
    for code in langs:
        iso = LANGS[code]
        kept = per_lang[code]["kept"]
        qids = [f"{iso}-dev-{k['id']}" for k in kept]
        rel_idx = np.array([doc_index[k["rel"]] for k in kept])
        qrels = {q: qrels_all[q] for q in qids}
        res_lang = OrderedDict(n_queries=len(kept), n_dropped=sum(per_lang[code]["dropped"].values()),
                               dropped=per_lang[code]["dropped"])
        for setting, field in (("cross", "q"), ("english_upper_bound", "q_en")):
            t0 = time.time()
            q_emb = encode([k[field] for k in kept], "query: ")
            t_q += time.time() - t0
            order, scores = rank_all(q_emb, p_emb)
            # ties inside the top 10 (exact float32 equality)
            n_tie = sum(1 for i in range(len(qids))
                        if len(set(scores[i, order[i, :10]].tolist())) < 10)
            ties[f"{iso}/{setting}"] = n_tie
            run100 = make_run(qids, order, scores, docids, TOPK)
            run10 = make_run(qids, order, scores, docids, 10)
            ev = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"})
            ev_rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"})
            per_q = ev.evaluate(run100)
            per_q_rr = ev_rr.evaluate(run10)
            assert set(per_q) == set(qids) == set(per_q_rr)
            ranks = np.array([first_rel_rank(order[i], rel_idx[i]) for i in range(len(qids))])
            my_rr = np.where(ranks <= 10, 1.0 / ranks, 0.0)
            my_ndcg = np.where(ranks <= 10, 1.0 / np.log2(ranks + 1), 0.0)
            my_rec = (ranks <= TOPK).astype(float)
            pt_ndcg = np.array([per_q[q]["ndcg_cut_10"] for q in qids])
            pt_rec = np.array([per_q[q]["recall_100"] for q in qids])
            pt_rr = np.array([per_q_rr[q]["recip_rank"] for q in qids])
            # own MRR@10 must agree with pytrec_eval recip_rank on the cut run, per query
            assert np.allclose(my_rr, pt_rr, atol=1e-12, rtol=0), "MRR@10 disagreement"
            # with one relevant passage, nDCG@10 and R@100 also follow from the rank
            assert np.allclose(my_ndcg, pt_ndcg, atol=1e-9, rtol=0), "nDCG@10 disagreement"
            assert np.array_equal(my_rec, pt_rec), "R@100 disagreement"
            res_lang[setting] = OrderedDict(
                ndcg_at_10=float(pt_ndcg.mean()), recall_at_100=float(pt_rec.mean()),
                mrr_at_10=float(my_rr.mean()), mrr_at_10_pytrec_eval=float(pt_rr.mean()),
                success_at_1=float((ranks == 1).mean()), median_rank=float(np.median(ranks)),
                n_queries_with_tie_in_top10=n_tie)
            # run file (xz, to keep all runs under 3 MB; scores as %.9g = exact for float32)
            tag = f"e5small-{setting}"
            with lzma.open(os.path.join(args.out, f"run.afriqa-dev.{iso}.{setting}.trec.xz"),
                           "wt", encoding="utf-8", preset=9 | lzma.PRESET_EXTREME) as fh:
                for i, qid in enumerate(qids):
                    for r, j in enumerate(order[i, :TOPK], start=1):
                        fh.write(f"{qid} Q0 {docids[j]} {r} {float(scores[i, j]):.9g} {tag}\n")
            # hand check: first query of ha, ig, zu (cross-lingual setting)
            if setting == "cross" and iso in HAND_CHECK:
                qid = qids[0]
                rank = int(ranks[0])
                ndcg = 1.0 / math.log2(rank + 1) if rank <= 10 else 0.0
                rr = 1.0 / rank if rank <= 10 else 0.0
                h = OrderedDict(qid=qid, question=kept[0]["q"], relevant=kept[0]["rel"],
                                rank_of_relevant=rank, ndcg_at_10_by_hand=ndcg, rr_at_10_by_hand=rr,
                                ndcg_at_10_pytrec_eval=per_q[qid]["ndcg_cut_10"],
                                recip_rank_pytrec_eval=per_q_rr[qid]["recip_rank"],
                                top1=docids[order[0, 0]], top1_score=float(scores[0, order[0, 0]]),
                                relevant_score=float(scores[0, rel_idx[0]]))
                assert abs(ndcg - h["ndcg_at_10_pytrec_eval"]) < 1e-12, h
                assert abs(rr - h["recip_rank_pytrec_eval"]) < 1e-12, h
                hand.append(h)
        results[iso] = res_lang

    # ---------------- report
    print("\nHand checks (first cross-lingual query of ha, ig, zu):")
    for h in hand:
        print(f"  {h['qid']}: {h['question']!r} relevant {h['relevant']} at rank {h['rank_of_relevant']}; "
              f"nDCG@10 by hand 1/log2({h['rank_of_relevant']}+1) = {h['ndcg_at_10_by_hand']:.6f} "
              f"(pytrec_eval {h['ndcg_at_10_pytrec_eval']:.6f}); RR@10 {h['rr_at_10_by_hand']:.6f} "
              f"(pytrec_eval {h['recip_rank_pytrec_eval']:.6f})  OK")

    def macro(setting, key):
        return float(np.mean([results[lang][setting][key] for lang in results]))

    header = ("| lang | n | dropped | nDCG@10 cross | nDCG@10 en | R@100 cross | R@100 en "
              "| MRR@10 cross | MRR@10 en |")
    lines = [header, "|" + "---|" * 9]
    for iso, r in results.items():
        c, e = r["cross"], r["english_upper_bound"]
        lines.append(f"| {iso} | {r['n_queries']} | {r['n_dropped']} | {c['ndcg_at_10']:.4f} | "
                     f"{e['ndcg_at_10']:.4f} | {c['recall_at_100']:.4f} | {e['recall_at_100']:.4f} | "
                     f"{c['mrr_at_10']:.4f} | {e['mrr_at_10']:.4f} |")
    if len(results) > 1:
        lines.append(f"| macro avg | {sum(r['n_queries'] for r in results.values())} | "
                     f"{sum(r['n_dropped'] for r in results.values())} | "
                     f"{macro('cross', 'ndcg_at_10'):.4f} | {macro('english_upper_bound', 'ndcg_at_10'):.4f} | "
                     f"{macro('cross', 'recall_at_100'):.4f} | {macro('english_upper_bound', 'recall_at_100'):.4f} | "
                     f"{macro('cross', 'mrr_at_10'):.4f} | {macro('english_upper_bound', 'mrr_at_10'):.4f} |")
    table = "\n".join(lines)
    print("\n" + table)
    convention = ("Pool: 1,507 deduplicated normalised gold contexts of all six AfriQA dev files; one relevant "
                  "passage per query; passages embedded as title + ' ' + text; multilingual-e5-small, exact "
                  "dot-product search; ties by docid descending; metrics via pytrec_eval (MRR@10 also by hand).")
    print(convention)
    elapsed = time.time() - t_start
    print(f"total run time {elapsed:.0f}s (passage encoding {t_pass:.0f}s, query encoding {t_q:.0f}s)")

    import sentence_transformers
    model_file = os.path.join(args.model, "model.safetensors")
    model_sha = None
    if os.path.isfile(model_file):
        hs = hashlib.sha256()
        with open(model_file, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                hs.update(chunk)
        model_sha = hs.hexdigest()
    out = OrderedDict(
        test="AfriQA dev, cross-lingual question -> English gold paragraph retrieval (independent check)",
        date=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        command="python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]) if argv is None else
        "main(" + repr(argv) + ")",
        model_path=args.model, model_safetensors_sha256=model_sha, max_seq_length=max_len,
        batch_size=args.batch_size, prefixes={"query": "query: ", "passage": "passage: "},
        data_dir=os.path.abspath(args.data), pool_size=len(pool), top_k=TOPK,
        tie_break="score descending, then docid descending (trec_eval); docids afq-NNNN in pool order",
        query_id_format="<iso>-dev-<AfriQA id>, iso in bem ha ig rw tw zu",
        convention=convention, data_facts=facts, results=results, hand_checks=hand,
        run_time_s=round(elapsed, 1), passage_encode_s=round(t_pass, 1), query_encode_s=round(t_q, 1),
        versions={"python": platform.python_version(), "numpy": np.__version__,
                  "torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__,
                  "pytrec_eval": getattr(pytrec_eval, "__version__", "unknown")},
        cpu_threads=args.threads,
    )
    if len(results) > 1:
        out["macro_average"] = {s: {k: macro(s, k) for k in ("ndcg_at_10", "recall_at_100", "mrr_at_10")}
                                for s in ("cross", "english_upper_bound")}
    with open(os.path.join(args.out, "afriqa_independent.json"), "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    write_readme(args.out, out, table)
    print(f"wrote {args.out}")
    return 0


def write_readme(out_dir, out, table):
    hand = "\n".join(
        f"- `{h['qid']}` ({h['question']}): relevant `{h['relevant']}` at rank {h['rank_of_relevant']}; "
        f"nDCG@10 = 1/log2({h['rank_of_relevant']}+1) = {h['ndcg_at_10_by_hand']:.6f}, "
        f"RR@10 = {h['rr_at_10_by_hand']:.6f}; pytrec_eval gives the same."
        for h in out["hand_checks"])
    f = out["data_facts"]
    text = f"""# AfriQA dev: independent retrieval check

Written by `benchmarks/check_afriqa_independent.py`, apart from the toolkit's `evaluation/`
package (nothing there was read or imported), to check the toolkit's AfriQA numbers.
Command: `{out['command']}` ({out['date']}, {out['run_time_s']:.0f} s on {out['cpu_threads']} CPU threads).

## What was computed
- Test built from the raw `gold_passages/*.dev.json` following `shared/data/afriqa-dev/PROVENANCE.md`:
  NFC + whitespace-run -> one space + strip on every text (titles included); pool = deduplicated
  normalised contexts of all six files ({out['pool_size']} passages, {f['duplicate_occurrences']} duplicate
  occurrences merged), title of the first occurrence (files sorted by name, rows in file order);
  queries = `question_lang` of rows with non-empty context and string question; one relevant
  passage per query (its own gold context). Upper bound: same rows, `question_translated` as query.
- Passages embedded as `title + " " + text`. Five Bemba first occurrences have a null title
  ({', '.join(f['null_title_first_occurrence'])}); these are embedded as `text` alone.
- Model `{out['model_path']}` (multilingual-e5-small, max_seq_length {out['max_seq_length']}),
  `query: ` / `passage: ` prefixes, normalised embeddings, batch {out['batch_size']}, CPU;
  exact numpy dot-product search over the whole pool; top {out['top_k']} kept.
- Ties: score descending, then docid descending (trec_eval's rule; docids `afq-NNNN` zero-padded
  in pool order). Exact float32 ties in a top 10 were rare (count per set in the JSON).
- Metrics: nDCG@10 (`ndcg_cut_10`), Recall@100 (`recall_100`) from pytrec_eval; MRR@10 computed from
  the ranking and checked per query against pytrec_eval `recip_rank` on the run cut at 10. With one
  relevant passage, nDCG@10 = 1/log2(rank+1) and R@100 = [rank <= 100] were also checked per query.

## Results (cross = question in its language; en = English translation, the upper bound)
{table}

## Hand checks
{hand}

## Files
- `afriqa_independent.json`: all numbers, settings, versions, data facts.
- `qrels.afriqa-dev.txt`: `qid 0 docid 1` (qids `<iso>-dev-<id>`; the same qrels serve both settings).
- `run.afriqa-dev.<iso>.<cross|english_upper_bound>.trec.xz`: TREC runs (xz-compressed; `xz -dk` or Python `lzma`),
  top 100, `qid Q0 docid rank score tag` (scores printed with 9 significant digits, exact for float32).
- `docid_map.tsv`: docid, sha1 of the full normalised text, first row (`<afriqa code>:<id>`),
  title, first 60 characters of the normalised text: to match another implementation's docids by text.
"""
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    sys.exit(main())
