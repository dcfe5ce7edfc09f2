"""Check the goal of the African zero-shot experiment (issue 20) against a recipe's per_language.json.

The goal, for one trained setting over at least 3 seeds:
  (a) nDCG@10 above off the shelf on every AfriQA dev language, each significant at p < 0.05 after Holm
      over every comparison of the report (the family grows with the settings run); shown beside it, (a')
      with Holm over the setting's own six languages (the family of the goal's claim about one setting;
      it does not correct for the choice among settings);
  (b) at least a third of the average gap between off the shelf and the English-query upper bound closed;
  (c) TyDi sw, te and bn each within 0.005 nDCG@10 of off the shelf (mean over seeds).

Prints one markdown table (a row per setting: what passes, what fails and by how much) and writes it to
``--out`` as well.

    python benchmarks/african_goal.py benchmarks/results/african-zeroshot-cpu/per_language.json \\
        --out benchmarks/results/african-zeroshot-cpu/goal.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codeswitch.recipes.per_language import holm  # noqa: E402

METRIC = "ndcg@10"
ALPHA = 0.05
TYDI = ("tydi/sw", "tydi/te", "tydi/bn")
TOLERANCE = 0.005
SEEDS = 3


def _mean(cell: dict) -> float:
    return cell[METRIC][0]


def check(result: dict, dataset: str = "afriqa/dev") -> list[dict]:
    """One verdict per trained setting of ``dataset`` (the reference and baselines left out)."""
    ref_name = result["reference"]
    table = result["datasets"][dataset]
    upper = result["datasets"][table["upper_bound"]]
    verdicts = []
    for name, row in table["rows"].items():
        if row["setting"] in (ref_name, "baseline"):
            continue
        ref = table["rows"][f"{row['model']}/{ref_name}"]["per_lang"]
        up = upper["rows"][f"{row['model']}/{ref_name}"]["per_lang"]
        deltas = {k: _mean(row["per_lang"][k]) - _mean(ref[k]) for k in table["keys"] if k in row["per_lang"]}
        significant_up = [k for k, d in deltas.items()
                          if d > 0 and row["per_lang"][k].get("p_holm", {}).get(METRIC, 1.0) < ALPHA]
        raw = [row["per_lang"][k].get("p", {}).get(METRIC, 1.0) for k in deltas]
        own_up = [k for (k, d), adj in zip(deltas.items(), holm(raw), strict=True) if d > 0 and adj < ALPHA]
        ref_avg = sum(_mean(ref[k]) for k in table["keys"]) / len(table["keys"])
        up_avg = sum(_mean(up[k]) for k in upper["keys"]) / len(upper["keys"])
        avg = sum(_mean(row["per_lang"][k]) for k in deltas) / len(deltas)
        closed = (avg - ref_avg) / (up_avg - ref_avg)
        tydi = {}
        for ds in TYDI:
            rows = result["datasets"].get(ds, {}).get("rows", {})
            if name in rows:
                (key,) = result["datasets"][ds]["keys"]
                tydi[ds.split("/")[1]] = _mean(rows[name]["per_lang"][key]) - _mean(
                    rows[f"{row['model']}/{ref_name}"]["per_lang"][key])
        verdicts.append({
            "setting": name, "seeds": row["n"], "deltas": deltas, "significant_up": significant_up,
            "a": len(significant_up) == len(table["keys"]), "own_up": own_up,
            "a_own": len(own_up) == len(table["keys"]), "gap_closed": closed, "b": closed >= 1 / 3,
            "tydi": tydi, "c": len(tydi) == len(TYDI) and all(d >= -TOLERANCE for d in tydi.values()),
            "enough_seeds": row["n"] >= SEEDS,
        })
    return verdicts


def markdown(verdicts: list[dict], keys: list[str]) -> str:
    lines = ["| setting | seeds | (a) languages up, significant | (a') Holm over its six | worst language Δ | "
             "(b) gap closed (≥ 33%) | (c) TyDi Δ sw / te / bn (≥ −0.005) | goal |",
             "|---|---:|---|---|---:|---:|---|---|"]
    for v in verdicts:
        worst = min(v["deltas"], key=v["deltas"].get)
        tydi = " / ".join(f"{v['tydi'][lang]:+.3f}" if lang in v["tydi"] else "–" for lang in ("sw", "te", "bn"))
        ok = v["a"] and v["b"] and v["c"] and v["enough_seeds"]
        fails = [p for p in ("a", "b", "c") if not v[p]] + ([] if v["enough_seeds"] else [f"< {SEEDS} seeds"])
        lines.append(f"| {v['setting']} | {v['seeds']} | {len(v['significant_up'])} of {len(keys)} "
                     f"({', '.join(v['significant_up']) or 'none'}) {'✓' if v['a'] else '✗'} | "
                     f"{len(v['own_up'])} of {len(keys)} {'✓' if v['a_own'] else '✗'} | "
                     f"{worst} {v['deltas'][worst]:+.3f} | {v['gap_closed']:+.0%} {'✓' if v['b'] else '✗'} | "
                     f"{tydi} {'✓' if v['c'] else '✗'} | {'met' if ok else 'not met: ' + ', '.join(fails)} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("per_language", type=Path, help="per_language.json of `codeswitch recipe report`")
    ap.add_argument("--dataset", default="afriqa/dev")
    ap.add_argument("--out", type=Path, help="also write the table here")
    a = ap.parse_args()
    result = json.loads(a.per_language.read_text(encoding="utf-8"))
    verdicts = check(result, a.dataset)
    text = (f"Goal check of `{a.per_language}` ({a.dataset}, {METRIC}, against `{result['reference']}`; "
            f"significance: {result['test']}, {result['correction']} correction, p < {ALPHA}).\n\n"
            + markdown(verdicts, result["datasets"][a.dataset]["keys"]))
    print(text, end="")
    if a.out:
        a.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
