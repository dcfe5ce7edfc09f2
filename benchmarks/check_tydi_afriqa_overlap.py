"""Is any TyDi QA GoldP paragraph or article also in the AfriQA dev test? (not run by CI)

``recipes/african-zeroshot-cpu.yaml`` trains its best settings on TyDi GoldP dev question -> paragraph pairs
in ar fi id ko ru (``tydi-mono-para``), and leaves English out because English GoldP shares articles and a
paragraph with AfriQA's English passage pool. This script counts that for every GoldP dev file, reading the
raw files itself (no ``codeswitch`` / ``evaluation`` import):

- GoldP paragraphs equal to an AfriQA gold paragraph, paragraphs whose first 200 characters are an AfriQA
  paragraph's (the same paragraph, cut or extended), and paragraphs sharing a word n-gram (``--n``,
  default 8) with one (after NFC, lower-casing and keeping only letter/digit runs as words);
- GoldP article titles equal to an AfriQA passage title (case-folded).

    python benchmarks/check_tydi_afriqa_overlap.py [--data ../shared/data] \\
        [--out benchmarks/results/african-zeroshot-cpu/tydi_overlap.md]
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from pathlib import Path

GOLDP = ("arabic", "finnish", "indonesian", "korean", "russian", "english", "swahili", "telugu", "bengali")
TRAINED = {"arabic", "finnish", "indonesian", "korean", "russian"}  # tydi-mono-para's languages
WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFC", text).lower())


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def afriqa_pool(data: Path) -> tuple[set[str], set[str]]:
    """(normalised gold paragraphs, case-folded titles) of the six AfriQA dev languages."""
    paragraphs, titles = set(), set()
    for path in sorted((data / "afriqa-dev" / "gold_passages").glob("gold_span_passages.afriqa.*.en.dev.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if isinstance(row.get("context"), str) and row["context"].strip():
                paragraphs.add(" ".join(words(row["context"])))
            if isinstance(row.get("title"), str) and row["title"].strip():
                titles.add(row["title"].strip().casefold())
    return paragraphs, titles


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    pool, titles = afriqa_pool(a.data)
    pool_grams = set().union(*(ngrams(p.split(), a.n) for p in pool))
    pool_starts = {p[:200] for p in pool}
    rows = []
    for lang in GOLDP:
        doc = json.loads((a.data / "tydiqa-goldp" / f"{lang}_tydiqa_dev.json").read_text(encoding="utf-8"))
        paragraphs, goldp_titles = set(), set()
        for article in doc["data"]:
            goldp_titles.add(str(article.get("title", "")).strip().casefold())
            for para in article["paragraphs"]:
                paragraphs.add(" ".join(words(para["context"])))
        shared = sorted(t for t in goldp_titles & titles if t)
        rows.append({"lang": lang, "trained_on": lang in TRAINED, "paragraphs": len(paragraphs),
                     "equal": len(paragraphs & pool),
                     "same_start": sum(p[:200] in pool_starts for p in paragraphs),
                     f"sharing_a_{a.n}_gram": sum(bool(ngrams(p.split(), a.n) & pool_grams) for p in paragraphs),
                     "titles": len(goldp_titles), "shared_titles": len(shared), "title_examples": shared[:12]})
    lines = ["# TyDi QA GoldP dev against AfriQA dev's English passage pool\n",
             "`python benchmarks/check_tydi_afriqa_overlap.py` (raw files, no toolkit import; words = NFC, "
             f"lower-cased letter/digit runs). AfriQA: {len(pool)} distinct gold paragraphs (after this "
             f"normalisation), {len(titles)} distinct titles.\n",
             f"| GoldP dev | in tydi-mono-para | paragraphs | equal to an AfriQA paragraph | its first 200 "
             f"characters | sharing a word {a.n}-gram | titles | titles that are AfriQA's |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['lang']} | {'yes' if r['trained_on'] else 'no'} | {r['paragraphs']} | {r['equal']} | "
              f"{r['same_start']} | {r[f'sharing_a_{a.n}_gram']} | {r['titles']} | {r['shared_titles']} |"
              for r in rows]
    lines += [""] + [f"- {r['lang']}: shared titles {', '.join(r['title_examples'])}" for r in rows
                     if r["title_examples"]]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.out:
        a.out.write_text(text, encoding="utf-8")
        a.out.with_suffix(".json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
