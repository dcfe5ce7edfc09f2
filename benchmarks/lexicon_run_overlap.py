"""How much do two induced lexicons of the same language differ? (eflomal has no seed; not run by CI)

Compares pairs of MUSE-format lexicons (``src tgt`` per line, best translation first, as
``codeswitch lexicon induce`` writes them), e.g. the recipe's ``recipes/african-lexicons/ha.txt`` against a
second ``codeswitch align`` + ``lexicon induce`` run on the same FLORES sentences (``run_overlap.md`` was made
when the recipe still induced its lexicons into ``runs/african-zeroshot-cpu/data/lex-*.txt``):

    python benchmarks/lexicon_run_overlap.py --out benchmarks/results/african-lexicons/run_overlap.md \\
        ha=recipes/african-lexicons/ha.txt,/tmp/lexvar/lex-ha.txt  zu=...,...

Per language: the entry counts, the Jaccard overlap of the (source, target) entries and of the
source words, and the share of the source words in both whose first (best) translation is the same.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def read(path: Path) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """``(entries, first translation per source word)`` of a whitespace-separated lexicon."""
    entries: set[tuple[str, str]] = set()
    first: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            entries.add((parts[0], parts[1]))
            first.setdefault(parts[0], parts[1])
    return entries, first


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairs", nargs="+", help="LANG=LEXICON_A,LEXICON_B")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    lines = ["| lang | entries A | entries B | entries shared (Jaccard) | source words shared (Jaccard) | "
             "same best translation |", "|---|---:|---:|---:|---:|---:|"]
    for spec in a.pairs:
        lang, _, paths = spec.partition("=")
        pa, pb = (Path(p) for p in paths.split(","))
        (ea, fa), (eb, fb) = read(pa), read(pb)
        both = set(fa) & set(fb)
        same = sum(fa[w] == fb[w] for w in both) / len(both) if both else 0.0
        lines.append(f"| {lang} | {len(ea):,} | {len(eb):,} | {jaccard(ea, eb):.1%} | {jaccard(set(fa), set(fb)):.1%} "
                     f"| {same:.1%} |")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.out:
        a.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
