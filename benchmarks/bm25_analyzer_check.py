#!/usr/bin/env python
"""Check the BM25 analyser (``evaluation.retrieval.bm25.analyze``) against a reference written apart from it.

The reference (:func:`ref_tokens`, :func:`ref_bm25`) is written here from the definitions, not from the
toolkit's code: a character-by-character word tokenizer in the spirit of Unicode word breaking (UAX #29)
as Lucene's ICU / standard analysis does it -- NFKC + case folding with default-ignorable format
characters removed (Lucene's ``ICUNormalizer2Filter`` ``nfkc_cf``), words = letters and numbers with their
combining marks (WB4: Extend / Format never break a word), every character of a script written
without spaces its own token (UAX #29 for Han and kana; Thai / Lao / Khmer / Myanmar / Hangul
recognised here by their Unicode character *names*, not by code-point ranges) -- and Lucene's BM25
formula computed in plain Python. One deliberate difference from Lucene's ``StandardTokenizer``:
UAX #29 keeps ``mandela's`` / ``l'eko`` whole (WB6/WB7: an apostrophe between letters); Lucene's
language analysers then cut them (``EnglishPossessiveFilter``, ``ElisionFilter`` for fr/it/ca/ga,
Turkish ``ApostropheFilter``). Both analysers here split at every apostrophe, as issue 21 asks.

bm25s' own tokenizer (``token_pattern=(?u)\\b\\w+\\b``) is shown beside it for the hyphen / apostrophe
case; it is not the reference because Python's ``\\w`` excludes combining marks, so it cuts Bengali,
Devanagari and tone-marked Yoruba words apart.

Checks (results in benchmarks/results/bm25-analyzer/):

1. hyphen / apostrophe case and precomposed-vs-decomposed case: BM25 scores of the toolkit equal the
   reference's, and ``coca-cola`` scores as ``coca cola``, a precomposed spelling as a decomposed one;
2. tokens of the toolkit equal the reference's on every text of TyDi (ar bn en fi id ko ru sw te),
   AfriQA (queries and English passages) and XQuAD-R (languages without a word segmenter);
3. ``tydi/bn`` equals BEIR copies of it built here from the raw GoldP JSON: as in the file (58 of 113
   questions spell U+09DF precomposed, the passages decomposed) and NFC-normalised; the previous
   analyser (0.3: ``codeswitch.tokenize`` words, lower-cased) for contrast; and the reference pipeline
   (reference tokens, reference BM25, pytrec_eval) on the raw copy;
4. XQuAD-R BM25 Thai mono mAP with pythainlp (issue 21's independent figure: about 0.784) and with the
   character fallback.

Usage: ``python benchmarks/bm25_analyzer_check.py [--data ../shared/data] [--out benchmarks/results/bm25-analyzer]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

K1, B = 0.9, 0.4
_NO_SPACE_NAMES = ("THAI ", "LAO ", "KHMER ", "MYANMAR ", "CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH",
                   "HIRAGANA ", "KATAKANA ", "HANGUL SYLLABLE ", "HANGUL CHOSEONG ", "HANGUL JUNGSEONG ",
                   "HANGUL JONGSEONG ", "HANGUL LETTER ")


# ---------------------------------------------------------------- the reference, written from the definitions
def ref_normalize(text: str) -> str:
    """NFKC_Casefold-like: NFKC, full case folding, NFKC; format characters (Cf) removed except ZERO WIDTH SPACE."""
    s = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in s if not (unicodedata.category(ch) == "Cf" and ch != "\u200b"))


def _no_space_script(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(_NO_SPACE_NAMES)


def ref_tokens(text: str) -> list[str]:
    """Words of ``text`` (a language without a word segmenter), one character at a time."""
    out: list[str] = []
    cur: list[str] = []
    single = False  # the current token is one character of a script without spaces (+ its marks)

    def flush():
        nonlocal cur
        if cur:
            out.append("".join(cur))
        cur = []

    for ch in ref_normalize(text):
        major = unicodedata.category(ch)[0]
        if major == "M":  # a combining mark extends whatever token precedes it (or starts one)
            cur.append(ch)
        elif major in "LN":
            if _no_space_script(ch):
                flush()
                cur, single = [ch], True
            else:
                if single:
                    flush()
                    single = False
                cur.append(ch)
        else:
            flush()
            single = False
    flush()
    return out


def ref_bm25(docs: list[list[str]], query: list[str]) -> list[float]:
    """Lucene BM25 (k1 0.9, b 0.4): idf = ln(1 + (N - df + .5) / (df + .5)),
    weight idf * tf / (tf + k1 (1 - b + b dl / avgdl)), each query term occurrence counted."""
    n = len(docs)
    avgdl = sum(map(len, docs)) / n
    df = Counter(t for d in docs for t in set(d))
    tfs = [Counter(d) for d in docs]
    scores = []
    for d, tf in zip(docs, tfs, strict=True):
        norm = K1 * (1 - B + B * len(d) / avgdl)
        scores.append(sum(math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) * tf[t] / (tf[t] + norm)
                          for t in query if tf[t]))
    return scores


def old_analyze(text: str, lang: str) -> list[str]:
    """The analyser of codeswitch 0.3 (for contrast): codeswitch.tokenize words, lower-cased."""
    from codeswitch.tokenize import tokenize

    return [t.text.lower() for t in tokenize(text, lang) if t.is_word]


# ---------------------------------------------------------------- checks
CASE_DOCS = [
    ("Coca Cola is sold in Lagos", "en"), ("Nelson Mandela s house in Soweto", "en"),
    ("Mo n gbé l Èkó", "yo"), ("Ankara da kar yağıyor", "tr"), ("Water is sold in Lagos", "en"),
    ("আয়না হাতে মেয়েটি", "bn"), ("The house of Nelson", "en"),
]
CASES = [  # (query, its spaced / other-normal-form twin, lang)
    ("coca-cola", "coca cola", "en"), ("Mandela's", "mandela s", "en"), ("Mandela’s", "mandela s", "en"),
    ("l'Èkó", "l èkó", "yo"), ("ankara'da", "ankara da", "tr"),
    ("\u0986\u09df\u09a8\u09be", "\u0986\u09af\u09bc\u09a8\u09be", "bn"),  # আয়না: U+09DF vs U+09AF U+09BC
    ("\u00c8k\u00f3", "E\u0300ko\u0301", "yo"),  # Èkó precomposed vs decomposed
]


def check_cases() -> dict:
    import bm25s
    import numpy as np

    from evaluation.retrieval.bm25 import BM25Index, analyze

    texts, langs = [t for t, _ in CASE_DOCS], [lang for _, lang in CASE_DOCS]
    index = BM25Index(texts, langs)
    ref_docs = [ref_tokens(t) for t in texts]
    rows, ok = [], True
    for query, twin, lang in CASES:
        ours, ours_twin = index.scores(query, lang), index.scores(twin, lang)
        ref = np.array(ref_bm25(ref_docs, ref_tokens(query)), dtype=np.float32)
        same = bool(np.allclose(ours, ref, rtol=1e-6, atol=1e-7) and np.array_equal(ours, ours_twin)
                    and analyze(query, lang) == ref_tokens(query) and ours.max() > 0)
        ok &= same
        rows.append({"query": query, "twin": twin, "lang": lang, "tokens": analyze(query, lang),
                     "reference_tokens": ref_tokens(query), "old_tokens": old_analyze(query, lang),
                     "top_doc": texts[int(ours.argmax())], "scores": [round(float(x), 6) for x in ours],
                     "reference_scores": [round(float(x), 6) for x in ref], "equal": same})
    sample = "Coca-Cola Mandela's L'Ẹ́kọ́ Ankara'da আয়নাবাজি"
    bm25s_tokens = bm25s.tokenize([sample], lower=True, stopwords=None, token_pattern=r"(?u)\b\w+\b",
                                  return_ids=False, show_progress=False)[0]
    return {"all_equal": ok, "cases": rows, "bm25s_tokenizer": {"text": sample, "tokens": list(bm25s_tokens),
                                                                "ours": analyze(sample, "yo")}}


def _texts(data: Path) -> dict[str, list[str]]:
    """Every query and passage text per language, from collections that need no word segmenter."""
    from evaluation.collections.registry import resolve

    out: dict[str, list[str]] = {}
    for lang in ("ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te"):
        task = resolve(f"tydi/{lang}", data).tasks[0]
        out.setdefault(lang, []).extend(task.topics.values())
        out[lang].extend(f"{ti} {x}" for _, ti, x in task.iter_corpus())
    for task in resolve("afriqa/dev", data).tasks:
        out.setdefault(task.query_lang, []).extend(task.topics.values())
    out["en"].extend(f"{ti} {x}" for _, ti, x in resolve("afriqa/dev", data).tasks[0].iter_corpus())
    pool = resolve("xquad-r", data, ("ar", "de", "el", "en", "es", "hi", "ru", "tr", "vi")).pool
    for text, lang in zip(pool.cand_texts, pool.cand_langs, strict=True):
        out.setdefault(lang, []).append(text)
    for q in pool.questions:
        out[q.lang].append(q.text)
    return out


def check_tokens(data: Path) -> dict:
    from evaluation.retrieval.bm25 import analyze

    per_lang, examples = {}, []
    for lang, texts in sorted(_texts(data).items()):
        bad = [t for t in texts if analyze(t, lang) != ref_tokens(t)]
        per_lang[lang] = {"texts": len(texts), "differ": len(bad)}
        for t in bad[:2]:
            examples.append({"lang": lang, "text": t[:200], "ours": analyze(t, lang)[:40], "ref": ref_tokens(t)[:40]})
    return {"per_lang": per_lang, "all_equal": all(v["differ"] == 0 for v in per_lang.values()),
            "examples": examples}


def _write_beir(root: Path, raw: dict, form: str | None) -> Path:
    """A BEIR copy of TyDi bn from the raw GoldP JSON (docids as PROVENANCE.md: first occurrence)."""
    norm = (lambda s: unicodedata.normalize(form, s)) if form else (lambda s: s)
    docid_of, corpus, queries, qrels = {}, [], [], []
    for art in raw["data"]:
        for p in art["paragraphs"]:
            ctx = p["context"]
            if ctx not in docid_of:
                docid_of[ctx] = f"tydi-bn-{len(corpus)}"
                corpus.append({"_id": docid_of[ctx], "title": norm(art.get("title") or ""), "text": norm(ctx),
                               "lang": "bn"})
            for qa in p["qas"]:
                queries.append({"_id": qa["id"], "text": norm(qa["question"]), "lang": "bn"})
                qrels.append((qa["id"], docid_of[ctx]))
    (root / "qrels").mkdir(parents=True)
    for name, rows in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        (root / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    lines = "".join(f"{q}\t{d}\t1\n" for q, d in qrels)
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + lines, encoding="utf-8")
    return root


def _evaluate(dataset: str, data: Path, out: Path, analyzer=None) -> tuple[dict, bytes]:
    import evaluation.retrieval.bm25 as bm25
    from evaluation.evaluate import EvalConfig, evaluate

    real = bm25.analyze
    if analyzer is not None:
        bm25.analyze = analyzer
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            res = evaluate(EvalConfig(model="bm25", datasets=(dataset,), data_dir=str(data)), out)
    finally:
        bm25.analyze = real
    entry = res["datasets"][dataset]
    per = entry["per_lang"]
    lang = next(iter(per))
    run = next((out / "runs").rglob(f"{lang}.trec")).read_bytes()
    return {k: round(per[lang][k], 4) for k in ("ndcg@10", "recall@100", "mrr@10")}, run


def check_tydi_bn(data: Path, tmp: Path) -> dict:
    import pytrec_eval

    raw = json.loads((data / "tydiqa-goldp" / "bengali_tydiqa_dev.json").read_text(encoding="utf-8"))
    questions = [qa["question"] for a in raw["data"] for p in a["paragraphs"] for qa in p["qas"]]
    contexts = [p["context"] for a in raw["data"] for p in a["paragraphs"]]
    copies = {"raw": _write_beir(tmp / "bn-raw", raw, None), "nfc": _write_beir(tmp / "bn-nfc", raw, "NFC")}
    out: dict = {"questions": len(questions), "questions_with_U+09DF": sum("\u09df" in q for q in questions),
                 "passages_with_U+09DF": sum("\u09df" in c for c in contexts),
                 "passages_with_U+09AF_U+09BC": sum("\u09af\u09bc" in c for c in contexts), "runs": {}}
    runs = {}
    for name, analyzer in (("new", None), ("old", old_analyze)):
        for ds in ("tydi/bn", f"beir:{copies['raw']}", f"beir:{copies['nfc']}"):
            key = f"{name} {'tydi/bn' if ds == 'tydi/bn' else 'beir ' + Path(ds[5:]).name[3:]}"
            scores, run = _evaluate(ds, data, tmp / key.replace(" ", "_").replace("/", "-"), analyzer)
            out["runs"][key] = scores
            runs[key] = run
    out["new: tydi/bn run == beir raw run == beir nfc run (bytes)"] = (
        runs["new tydi/bn"] == runs["new beir raw"] == runs["new beir nfc"])
    out["old: tydi/bn run == beir nfc run (bytes)"] = runs["old tydi/bn"] == runs["old beir nfc"]
    # the reference pipeline on the raw copy: reference tokens, reference BM25, pytrec_eval
    docs = [json.loads(line) for line in (copies["raw"] / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    qs = [json.loads(line) for line in (copies["raw"] / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    qrels: dict = {}
    for line in (copies["raw"] / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        q, d, s = line.split("\t")
        qrels.setdefault(q, {})[d] = int(s)
    doc_tokens = [ref_tokens(f"{d['title']} {d['text']}") for d in docs]
    run: dict = {}
    for q in qs:
        scores = ref_bm25(doc_tokens, ref_tokens(q["text"]))
        hits = sorted(((d["_id"], s) for d, s in zip(docs, scores, strict=True) if s > 0),
                      key=lambda r: (r[1], r[0]), reverse=True)
        run[q["_id"]] = dict(hits[:1000])
    per = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"}).evaluate(run)
    per_rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(
        {q: dict(sorted(d.items(), key=lambda r: (r[1], r[0]), reverse=True)[:10]) for q, d in run.items()})
    n = len(qrels)
    out["runs"]["reference beir raw"] = {
        "ndcg@10": round(sum(per.get(q, {}).get("ndcg_cut_10", 0.0) for q in qrels) / n, 4),
        "recall@100": round(sum(per.get(q, {}).get("recall_100", 0.0) for q in qrels) / n, 4),
        "mrr@10": round(sum(per_rr.get(q, {}).get("recip_rank", 0.0) for q in qrels) / n, 4)}
    return out


def check_thai(data: Path, tmp: Path) -> dict:
    import evaluation.retrieval.bm25 as bm25
    from evaluation.evaluate import EvalConfig, evaluate

    out = {}
    for name in ("pythainlp", "characters"):
        saved = sys.modules.get("pythainlp.tokenize")
        if name == "characters":
            sys.modules["pythainlp.tokenize"] = None  # import fails: the fallback, with its warning
        bm25._segmenter.cache_clear()
        bm25._analyzer.cache_clear()
        err = io.StringIO()
        t0 = time.perf_counter()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                res = evaluate(EvalConfig(model="bm25", datasets=("xquad-r",), data_dir=str(data), langs=("th",)),
                               tmp / f"th-{name}")
        finally:
            if name == "characters":
                if saved is None:
                    del sys.modules["pythainlp.tokenize"]
                else:
                    sys.modules["pythainlp.tokenize"] = saved
            bm25._segmenter.cache_clear()
            bm25._analyzer.cache_clear()
        out[name] = {"mono map": round(res["datasets"]["xquad-r"]["per_lang"]["mono"]["th"]["map"], 4),
                     "segmenter": res["settings"]["bm25_segmenter_th"],
                     "warning": [line[line.index("warning:"):] for line in err.getvalue().splitlines()
                                 if "warning:" in line],
                     "seconds": round(time.perf_counter() - t0, 1)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "bm25-analyzer")
    args = ap.parse_args(argv)
    from evaluation.retrieval.bm25 import analyzer_settings

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = {"analyzer": analyzer_settings(), "unicode": unicodedata.unidata_version,
                  "cases": check_cases(), "tokens": check_tokens(args.data),
                  "tydi_bn": check_tydi_bn(args.data, Path(tmp)), "xquad_r_th": check_thai(args.data, Path(tmp))}
    result["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bm25_analyzer_check.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n",
                                                         encoding="utf-8")
    (args.out / "bm25_analyzer_check.md").write_text(report(result), encoding="utf-8")
    print(report(result))
    ok = (result["cases"]["all_equal"] and result["tokens"]["all_equal"]
          and result["tydi_bn"]["new: tydi/bn run == beir raw run == beir nfc run (bytes)"])
    return 0 if ok else 1


def report(r: dict) -> str:
    a = r["analyzer"]
    lines = ["# BM25 analyser check (`python benchmarks/bm25_analyzer_check.py`)", "",
             f"Analyser `{a['bm25_analyzer']}`; segmenters: "
             + ", ".join(f"{k.rsplit('_', 1)[1]} `{v}`" for k, v in a.items() if k.startswith("bm25_segmenter_"))
             + f"; Unicode {r['unicode']}. Reference: a character-by-character UAX #29-style tokenizer and Lucene's"
             " BM25 formula written in the script itself (see its docstring).", "",
             "## 1. Hyphen / apostrophe and precomposed / decomposed: scores equal the reference's",
             "", "| query | twin | lang | our tokens | reference tokens | 0.3 tokens | top document | equal |",
             "|---|---|---|---|---|---|---|---|"]
    for c in r["cases"]["cases"]:
        lines.append(f"| `{c['query']}` | `{c['twin']}` | {c['lang']} | {' '.join(c['tokens'])} | "
                     f"{' '.join(c['reference_tokens'])} | {' '.join(c['old_tokens'])} | {c['top_doc']} | "
                     f"{'yes' if c['equal'] else '**no**'} |")
    b = r["cases"]["bm25s_tokenizer"]
    lines += ["", f"bm25s' tokenizer (`(?u)\\b\\w+\\b`) on `{b['text']}`: {' '.join(b['tokens'])} "
              f"(ours: {' '.join(b['ours'])}) -- Python's `\\w` has no combining marks, so it cuts Ẹ́kọ́ and "
              "Bengali apart.",
              "", "## 2. Tokens equal the reference's on real text", "", "| lang | texts | differ |", "|---|---:|---:|"]
    for lang, v in r["tokens"]["per_lang"].items():
        lines.append(f"| {lang} | {v['texts']:,} | {v['differ']} |")
    for e in r["tokens"]["examples"]:
        lines.append(f"\n- {e['lang']}: `{e['text'][:80]}` ours {e['ours'][:12]} ref {e['ref'][:12]}")
    t = r["tydi_bn"]
    lines += ["", "## 3. `tydi/bn` against BEIR copies of it (built from the raw GoldP JSON)", "",
              f"{t['questions_with_U+09DF']} of {t['questions']} questions spell য় precomposed (U+09DF); passages: "
              f"{t['passages_with_U+09DF']} with U+09DF, {t['passages_with_U+09AF_U+09BC']} with U+09AF U+09BC.", "",
              "| run | nDCG@10 | R@100 | MRR@10 |", "|---|---:|---:|---:|"]
    for k, v in t["runs"].items():
        lines.append(f"| {k} | {v['ndcg@10']:.4f} | {v['recall@100']:.4f} | {v['mrr@10']:.4f} |")
    lines += ["", f"new analyser: tydi/bn, BEIR raw and BEIR NFC runs byte-identical: "
              f"{t['new: tydi/bn run == beir raw run == beir nfc run (bytes)']}; 0.3 analyser: tydi/bn == BEIR NFC: "
              f"{t['old: tydi/bn run == beir nfc run (bytes)']}.", "",
              "## 4. XQuAD-R BM25 Thai mono mAP", "", "| th segmenter | mono mAP | warning on stderr |",
              "|---|---:|---|"]
    for v in r["xquad_r_th"].values():
        lines.append(f"| {v['segmenter']} | {v['mono map']:.4f} | {' '.join(v['warning']) or '(none)'} |")
    lines += ["", "Issue 21's independent figure with pythainlp: about 0.784; the 0.3 pin (characters): 0.6630.",
              f"\nTotal {r['seconds']} s.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
