"""Hard negatives for Example records, mined with a dense encoder (``codeswitch mine-negatives``).

In-batch negatives are random: for a translation pair (a Hausa sentence and its English version) the 31
other English sentences of a batch are easy to tell apart, and the loss soon stops teaching anything.
A hard negative is a passage the encoder itself ranks high for the query but that is not its positive.
The mining is sentence-transformers' :func:`~sentence_transformers.util.mine_hard_negatives` (exact
search, ``sampling_strategy="top"``: the best-scored candidates, so the result is deterministic); what is
ours is how Example records feed it:

* **One corpus per passage language.** Records are grouped by ``passage_lang``; a query's candidates are
  the distinct passages of its group. Parallel data holds the same passage in several languages, and a
  translation of the positive is not a negative: keeping languages apart keeps it out of the corpus.
* **False negatives.** A candidate scoring within ``relative_margin`` of the positive (e.g. 0.05: above
  the positive's score minus 5 % of its magnitude; with several positives for one query, the lowest) is
  skipped (NV-Retriever's "TopK-PercPos", Moreira et al. 2024, arXiv 2407.15831); ``range_min`` then skips
  the best-ranked candidates left, and only ranks up to ``range_max`` are considered.
* **Every record gets ``num`` negatives** (the ``negatives`` field; existing ones are replaced), or
  nothing is written: ``codeswitch train --hard-negatives N`` needs N in every record. A record can be
  left without: when the encoder scores every candidate of its corpus above the margin (the positive
  ranks last), there is no hard negative to give. ``drop_missing`` drops such records instead (counted
  per language in the statistics); a weak encoder on cross-lingual pairs leaves a few per hundred.

The output keeps every other field of every record, in input order, and a ``.stats.json`` beside it
(per language: records, corpus size, mean score of the positive and of the negatives).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codeswitch.atomic import atomic_path, check_output
from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.example_io import read_examples, stats_path, write_examples
from codeswitch.options import check_model_dir


def check_mining_options(num: int, range_min: int, relative_margin: float | None, range_max: int = 100) -> None:
    """:class:`ConfigError` naming the option when ``num`` < 1, ``range_min`` < 0, ``range_max`` leaves fewer
    than ``num`` ranks after ``range_min``, or the margin is outside [0, 1)."""
    if not isinstance(num, int) or num < 1:
        raise ConfigError(f"--num must be an integer >= 1 (negatives per record), found {num!r}")
    if not isinstance(range_min, int) or range_min < 0:
        raise ConfigError(f"--range-min must be an integer >= 0 (top candidates to skip), found {range_min!r}")
    if not isinstance(range_max, int) or range_max - range_min < num:
        raise ConfigError(f"--range-max must leave at least --num {num} ranks after --range-min {range_min}, "
                          f"found {range_max!r}; e.g. --range-max {range_min + max(100, 10 * num)}")
    if relative_margin is not None and not (math.isfinite(relative_margin) and 0.0 <= relative_margin < 1.0):
        raise ConfigError(f"--relative-margin must be in [0, 1) (0.05: skip candidates above 95 % of the "
                          f"positive's score), found {relative_margin!r}")


def mine_negatives(
    data: str | Path,
    model: str,
    out: str | Path,
    num: int = 1,
    range_min: int = 0,
    range_max: int = 100,
    relative_margin: float | None = 0.05,
    query_prefix: str = "",
    passage_prefix: str = "",
    batch_size: int = 32,
    device: str | None = None,
    overwrite: bool = False,
    drop_missing: bool = False,
    say: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write ``data``'s records to ``out`` with ``num`` mined ``negatives`` each; return the statistics.

    Raises:
        ConfigError: a bad option, an existing ``out`` without ``overwrite``, a model that cannot load, a
            passage language with too few passages, or (without ``drop_missing``) a record left with fewer
            than ``num`` negatives: nothing is written.
        DataFormatError: a malformed records file (file and line named).
    """
    check_mining_options(num, range_min, relative_margin, range_max)
    if batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, found {batch_size}")
    out = Path(out)
    if out.resolve() == Path(data).resolve() or stats_path(out).resolve() == stats_path(data).resolve():
        raise ConfigError(f"--out {out} would replace DATA {data} or its statistics file; write to another path "
                          "(e.g. train.hn.jsonl)")
    check_output(out, overwrite, folder=out.suffix == "")
    check_output(stats_path(out), overwrite=True)
    records = read_examples(data)
    if not records:
        raise DataFormatError("no records; pass a file written by `codeswitch generate`", data)
    check_model_dir(model)
    encoder = _load(model, device)
    say = say or (lambda _msg: None)
    started = time.perf_counter()

    groups: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(records):
        groups[ex.passage_lang].append(i)
    mined: dict[tuple[str, str, str], tuple[str, ...]] = {}  # (passage_lang, query, passage) -> negatives
    by_lang: dict[str, dict[str, Any]] = {}
    for lang in sorted(groups):
        rows = groups[lang]
        say(f"mining {lang}: {len(rows):,} records")
        found, summary = _mine_group(encoder, [records[i] for i in rows], lang, num, range_min, range_max,
                                     relative_margin, query_prefix, passage_prefix, batch_size)
        mined.update(found)
        by_lang[lang] = summary

    def key(ex: Any) -> tuple[str, str, str]:
        return ex.passage_lang, ex.query, ex.passage

    kept = [ex for ex in records if key(ex) in mined]
    missing = [ex for ex in records if key(ex) not in mined]
    if len(missing) == len(records) or (missing and not drop_missing):
        first = missing[0]
        raise ConfigError(
            f"{len(missing):,} of {len(records):,} records have fewer than {num} negatives left (first: id "
            f"{first.id!r}, passage language {first.passage_lang!r}) among ranks {range_min + 1}-{range_max} after "
            f"--relative-margin {relative_margin}; raise --range-max, lower --num, --range-min or --relative-margin, "
            f"{'or use a stronger --model' if drop_missing else 'or pass --drop-missing'}; nothing written")
    replaced = sum(1 for ex in kept if ex.negatives)
    written = write_examples((dataclasses.replace(ex, negatives=mined[key(ex)]) for ex in kept), out)
    stats = {
        "records": written,
        "input": str(data),
        "model": str(model),
        "num": num,
        "range_min": range_min,
        "range_max": range_max,
        "relative_margin": relative_margin,
        "query_prefix": query_prefix,
        "passage_prefix": passage_prefix,
        "replaced_existing_negatives": replaced,
        "dropped": len(missing),
        "by_passage_lang": by_lang,
        "seconds": round(time.perf_counter() - started, 1),
        "method": "sentence_transformers.util.mine_hard_negatives, exact search, top candidates, one corpus "
                  "per passage language",
    }
    with atomic_path(stats_path(out)) as tmp:
        tmp.write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return stats


def _load(model: str, device: str | None):
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(model, device=device)
    except Exception as exc:  # noqa: BLE001 - any loading failure becomes one line
        raise ConfigError(f"cannot load model {model!r} ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                          "give a Hugging Face id or a local model directory") from None


def _mine_group(encoder, records, lang: str, num: int, range_min: int, range_max: int,
                relative_margin: float | None, query_prefix: str, passage_prefix: str, batch_size: int):
    """Negatives for the records of one passage language: {(lang, query, passage): negatives}, summary."""
    import datasets
    from sentence_transformers.util import mine_hard_negatives

    corpus = list(dict.fromkeys(ex.passage for ex in records))
    if len(corpus) <= num + range_min:
        raise ConfigError(f"passage language {lang!r} has {len(corpus)} distinct passages: too few for --num {num} "
                          f"negatives after --range-min {range_min}; lower them or add records")
    pairs = datasets.Dataset.from_dict({"query": [ex.query for ex in records],
                                        "passage": [ex.passage for ex in records]})
    result = mine_hard_negatives(
        pairs, encoder, anchor_column_name="query", positive_column_name="passage", num_negatives=num,
        range_min=range_min, range_max=min(range_max, len(corpus)), relative_margin=relative_margin,
        sampling_strategy="top",
        query_prompt=query_prefix or None, corpus_prompt=passage_prefix or None, output_format="n-tuple",
        output_scores=True, batch_size=batch_size, use_faiss=False, verbose=False,
    )
    found: dict[tuple[str, str, str], tuple[str, ...]] = {}
    positive_scores, negative_scores = [], []
    for row in result:
        found[(lang, row["query"], row["passage"])] = tuple(row[f"negative_{j}"] for j in range(1, num + 1))
        positive_scores.append(row["scores"][0])
        negative_scores.extend(row["scores"][1:])
    summary = {
        "records": len(records),
        "corpus": len(corpus),
        "with_negatives": sum(1 for ex in records if (lang, ex.query, ex.passage) in found),
        "dropped": sum(1 for ex in records if (lang, ex.query, ex.passage) not in found),
        "mean_positive_score": round(sum(positive_scores) / len(positive_scores), 4) if positive_scores else None,
        "mean_negative_score": round(sum(negative_scores) / len(negative_scores), 4) if negative_scores else None,
    }
    return found, summary
