"""One plot of the low-resource zero-shot recipe: nDCG@10 change against e5 off the shelf, per TyDi language.

Bars are the mean over seeds of each trained setting minus the off-the-shelf score, error bars the
sample std over seeds. Reads one or more ``results.json`` written by
``codeswitch recipe run/report`` (later files add settings the earlier ones lack).

    python benchmarks/plot_lowres.py benchmarks/results/lowres-zeroshot-gpu/results.json \\
        --out benchmarks/results/lowres-zeroshot-gpu/delta_ndcg10.png
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

LANGS = ("sw", "te", "bn", "en", "ar", "fi")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="+", type=Path)
    ap.add_argument("--model", default="e5")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    agg: dict[tuple[str, str], dict] = {}  # (setting, dataset) -> aggregated row of --model; first file wins
    for path in a.results:
        for row in json.loads(path.read_text(encoding="utf-8"))["aggregated"]:
            if row["n"] and row["model"] == a.model:
                agg.setdefault((row["setting"], row["dataset"]), row)
    settings = list(dict.fromkeys(s for s, _ in agg if s != "off-the-shelf"))
    width = 0.8 / max(1, len(settings))
    fig, ax = plt.subplots(figsize=(12, 4.2))
    for i, s in enumerate(settings):
        xs, ys, es = [], [], []
        for j, lang in enumerate(LANGS):
            row, base = agg.get((s, f"tydi/{lang}")), agg.get(("off-the-shelf", f"tydi/{lang}"))
            if row is None or base is None:
                continue
            xs.append(j - 0.4 + width * (i + 0.5))
            ys.append(row["ndcg@10"] - base["ndcg@10"])
            std = row.get("ndcg@10_std")
            es.append(0.0 if std is None or math.isnan(std) else std)
        ax.bar(xs, ys, width, yerr=es, capsize=2, label=f"{s} (n={agg[(s, 'tydi/sw')]['n']})"
               if (s, "tydi/sw") in agg else s)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(LANGS)), [f"{lang}*" if lang in ("sw", "te", "bn") else lang for lang in LANGS])
    ax.set_ylabel("nDCG@10 minus e5 off the shelf")
    ax.set_title("TyDi GoldP dev, zero-shot: what fine-tuning multilingual-e5-small on XQuAD-derived data changes "
                 "(* low-resource)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.out, dpi=110)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
