"""Which tokenizer backend each language gets, and how fast each backend is, on real text.

Text: XQuAD paragraphs (../shared/data/xquad, 240 per language) and, for sw/yo/te/bn, the MIRACL dev
topics (queries). Each backend runs over the same strings; tokens/s is tokens produced per second
(best of 3). Results: ``benchmarks/results/tokenize_bench.{json,md}``.

    python benchmarks/tokenize_bench.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from codeswitch.errors import ConfigError  # noqa: E402
from codeswitch.tokenize import backend_for, get_tokenizer  # noqa: E402


def texts_for(data: Path, lang: str) -> tuple[str, list[str]]:
    xquad = data / "xquad" / f"xquad.{lang}.json"
    if xquad.is_file():
        doc = json.loads(xquad.read_text(encoding="utf-8"))
        return "xquad paragraphs", [p["context"] for a in doc["data"] for p in a["paragraphs"]]
    topics = data / "miracl" / "topics" / f"topics.miracl-v1.0-{lang}-dev.tsv"
    return "miracl dev topics", [line.split("\t", 1)[1] for line in topics.read_text(encoding="utf-8").splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = ap.parse_args()
    rows = []
    for lang in ("en", "de", "hi", "sw", "yo", "te", "bn", "th", "zh"):
        source, texts = texts_for(args.data, lang)
        row = {"lang": lang, "text": source, "auto": backend_for(lang)}
        for backend in ("fast", "spacy", "chars"):
            try:
                tok = get_tokenizer(lang, backend)
            except ConfigError as exc:
                row[backend] = f"unavailable ({str(exc).split(':')[0]})"
                continue
            best, n = 1e9, 0
            for _ in range(3):
                t = time.perf_counter()
                n = sum(len(tok(x)) for x in texts)
                best = min(best, time.perf_counter() - t)
            row[backend] = round(n / best)
        rows.append(row)
        print(row, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tokenize_bench.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["| lang | text | auto backend | fast tok/s | spacy tok/s | chars tok/s |", "|---|---|---|---:|---:|---:|"]
    for r in rows:
        cells = [f"{r[b]:,}" if isinstance(r[b], int) else r[b] for b in ("fast", "spacy", "chars")]
        lines.append(f"| {r['lang']} | {r['text']} | {r['auto']} | " + " | ".join(cells) + " |")
    (args.out / "tokenize_bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
