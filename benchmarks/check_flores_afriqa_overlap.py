"""Is any FLORES text the African recipe trains on also in the AfriQA dev test? (not run by CI)

``recipes/african-zeroshot-cpu.yaml`` reads the 701 FLORES sentences per language (SIB-200 train split):
to induce lexicons, and in ``hybrid-flores`` as translation pairs. The test is zero-shot only if no
AfriQA dev question (target language) or English gold paragraph is among them. This script reads the
raw files itself (no ``codeswitch`` / ``evaluation`` import) and counts, per language:

- AfriQA questions equal to a FLORES sentence of that language, and questions sharing any word n-gram
  (``--n-query``, default 5) with one;
- AfriQA English paragraphs that contain an English FLORES sentence, and paragraphs sharing any word
  n-gram (``--n-passage``, default 8) with one.

Texts are compared after NFC, lower-casing and keeping only letter/digit runs as words.

    python benchmarks/check_flores_afriqa_overlap.py [--data ../shared/data] \\
        [--out benchmarks/results/african-zeroshot-cpu/flores_overlap.md]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import unicodedata
from pathlib import Path

# AfriQA code -> FLORES/SIB-200 file stem
LANGS = {"bem": "bem_Latn", "hau": "hau_Latn", "ibo": "ibo_Latn", "kin": "kin_Latn", "twi": "twi_Latn",
         "zul": "zul_Latn"}
WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFC", text).lower())


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def flores(data: Path, stem: str) -> list[str]:
    with open(data / "flores-sib200" / f"{stem}.train.tsv", encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


def json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--n-query", type=int, default=5)
    ap.add_argument("--n-passage", type=int, default=8)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    afriqa = a.data / "afriqa-dev"
    en_sents = [words(s) for s in flores(a.data, "eng_Latn")]
    en_joined = [" ".join(s) for s in en_sents]
    en_grams = set().union(*(ngrams(s, a.n_passage) for s in en_sents))
    rows, passages = [], {}
    for code, stem in LANGS.items():
        sents = [words(s) for s in flores(a.data, stem)]
        exact = {" ".join(s) for s in sents}
        grams = set().union(*(ngrams(s, a.n_query) for s in sents))
        questions = [q["question"] for q in json_lines(afriqa / "queries" / f"queries.afriqa.{code}.en.dev.json")
                     if isinstance(q.get("question"), str) and q["question"].strip()]
        qw = [words(q) for q in questions]
        shared = [q for q, w in zip(questions, qw, strict=True) if ngrams(w, a.n_query) & grams]
        rows.append({"lang": code, "flores_sentences": len(sents), "questions": len(questions),
                     "questions_equal_to_a_sentence": sum(" ".join(w) in exact for w in qw),
                     f"questions_sharing_a_{a.n_query}_gram": len(shared), "examples": shared[:3]})
        gold = afriqa / "gold_passages" / f"gold_span_passages.afriqa.{code}.en.dev.json"
        for g in json_lines(gold):
            if isinstance(g.get("context"), str) and g["context"].strip():
                passages.setdefault(" ".join(words(g["context"])), None)
    contains = sum(any(s and s in p for s in en_joined) for p in passages)
    p_shared = [p for p in passages if ngrams(p.split(), a.n_passage) & en_grams]
    result = {"languages": rows, "english_paragraphs": len(passages),
              "paragraphs_containing_a_sentence": contains,
              f"paragraphs_sharing_a_{a.n_passage}_gram": len(p_shared), "paragraph_examples": p_shared[:3]}
    lines = ["# FLORES (SIB-200 train, 701 sentences) against AfriQA dev\n",
             "`python benchmarks/check_flores_afriqa_overlap.py` (raw files, no toolkit import; words = NFC, "
             "lower-cased letter/digit runs).\n",
             "| lang | FLORES sentences | AfriQA dev questions (all rows of the queries file) | "
             f"equal to a FLORES sentence | sharing a word "
             f"{a.n_query}-gram |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['lang']} | {r['flores_sentences']} | {r['questions']} | {r['questions_equal_to_a_sentence']} | "
              f"{r[f'questions_sharing_a_{a.n_query}_gram']} |" for r in rows]
    lines += ["", "English gold paragraphs (deduplicated after this normalisation, which merges 2 of the 1,507): "
              f"{len(passages)}; containing an "
              f"English FLORES sentence: {contains}; sharing a word {a.n_passage}-gram with one: {len(p_shared)}."]
    for r in rows:
        lines += [f"- {r['lang']} question sharing a {a.n_query}-gram: {ex!r}" for ex in r["examples"]]
    lines += [f"- paragraph sharing an {a.n_passage}-gram: {ex[:160]!r}..." for ex in p_shared]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.out:
        a.out.write_text(text, encoding="utf-8")
        a.out.with_suffix(".json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
