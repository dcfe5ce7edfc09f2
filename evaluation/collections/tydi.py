"""TyDi QA GoldP as a retrieval test (``tydi/<lang>``, ``tydi/dev``), built offline from the GoldP JSON.

Recipe (``../shared/data/tydiqa-goldp/PROVENANCE.md``): the queries of a language are every
``qas[].question`` of its dev file (qid = ``qas[].id``); the corpus is the set of distinct
``paragraphs[].context`` texts of that dev file, deduplicated by exact text, each with its article title
(``data[].title``, the first one seen); a question's own context has relevance 1 (questions sharing a
context share its docid). For Swahili the contexts of ``swahili_tydiqa_train.json`` are added as
distractors (dev first, then train; deduplicated by text, 1,981 passages). Docids are
``tydi-<lang>-<n>``, ``n`` the order of first occurrence (dev before train).

TyDi shares its source with MIRACL / Mr.TyDi but is a different, easier test (small pools, distractors
from other articles only): tables call it TyDi, never MIRACL. Files are searched under ``--data-dir``
(``tydiqa-goldp/`` or the folder itself).
"""

from __future__ import annotations

import json
from pathlib import Path

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.languages import LANGUAGES
from evaluation.collections.base import CollectionTask, Request, Resolved, local_dir

TYDI_LANGS = ("sw", "te", "bn", "ar", "en", "fi", "id", "ko", "ru")
TYDI_DISTRACTORS = {"sw": "train"}  # languages whose train contexts join the pool as distractors
LANGS = TYDI_LANGS
IDS = ("tydi/dev", *(f"tydi/{lang}" for lang in TYDI_LANGS))
FORMS = "tydi/<lang>, tydi/dev"
NOTE = ("TyDi QA GoldP dev, each question against the deduplicated passages of its language (sw: plus the "
        "train contexts); TyDi, not MIRACL: small pools with distractors from other articles only.")
TABLE_METRICS = ("ndcg@10", "recall@100")  # the columns of compare's tables
EXTRA_MEASURES: tuple[str, ...] = ()  # measured besides evaluate's defaults


def parse(norm: str) -> tuple[str | None, str | None]:
    """``tydi/<lang>`` -> ``(lang, "dev")``; ``tydi/dev`` -> ``(None, "dev")``."""
    part = norm.split("/")[1]
    return (None if part == "dev" else part), "dev"


def load(dataset_id: str, request: Request) -> Resolved:
    """The tasks of ``tydi/<lang>`` or ``tydi/dev`` (narrowed by ``--langs``)."""
    request.refuse_titles(dataset_id)
    request.refuse_corpus(dataset_id)
    lang, _ = parse(dataset_id.strip().lower())
    chosen = request.chosen_langs(lang, TYDI_LANGS, dataset_id)
    return Resolved(dataset_id, tasks=tuple(load_tydi(code, request.data_dir) for code in chosen))


def tydi_file(root: Path, lang: str, split: str) -> Path:
    """``<language name>_tydiqa_<split>.json`` under ``root`` or ``root/tydiqa-goldp``."""
    name = f"{LANGUAGES[lang]}_tydiqa_{split}.json"
    for cand in (root / name, root / "tydiqa-goldp" / name):
        if cand.is_file():
            return cand
    raise ConfigError(f"tydi/{lang}: {name} not found in {root} or {root / 'tydiqa-goldp'}; point --data-dir at "
                      "the folder holding the TyDi QA GoldP per-language files (e.g. ../shared/data)")


def _articles(path: Path) -> list[dict]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        data = doc["data"]
        if not isinstance(data, list):
            raise TypeError
        return data
    except (json.JSONDecodeError, KeyError, TypeError):
        raise DataFormatError('expected SQuAD-style JSON {"data": [{"title", "paragraphs": [...]}]}', path) from None


def load_tydi(lang: str, data_dir: Path | None) -> CollectionTask:
    """The retrieval test of one TyDi GoldP language (see the module docstring for the recipe)."""
    if data_dir is None:
        raise ConfigError(f"tydi/{lang} is read from local files only; pass --data-dir (e.g. ../shared/data)")
    root = local_dir(data_dir)
    dev = tydi_file(root, lang, "dev")
    extra = [tydi_file(root, lang, TYDI_DISTRACTORS[lang])] if lang in TYDI_DISTRACTORS else []
    docid_of: dict[str, str] = {}
    corpus: list[tuple[str, str, str]] = []
    topics: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for path in (dev, *extra):
        for k, art in enumerate(_articles(path)):
            try:
                title = str(art.get("title") or "")
                for para in art["paragraphs"]:
                    context = para["context"]
                    if context not in docid_of:
                        docid_of[context] = f"tydi-{lang}-{len(corpus)}"
                        corpus.append((docid_of[context], title, context))
                    if path != dev:
                        continue
                    for qa in para["qas"]:
                        qid = str(qa["id"])
                        if qid in topics:
                            raise DataFormatError(f"question id {qid!r} appears twice (data[{k}])", path)
                        topics[qid] = qa["question"]
                        qrels[qid] = {docid_of[context]: 1}
            except (KeyError, TypeError):
                raise DataFormatError(f"data[{k}]: expected paragraphs[] with context and qas[] with id and "
                                      "question", path) from None
    return CollectionTask(f"tydi/{lang}", "tydi", lang, lang, topics, qrels, lambda: iter(corpus), dev, "dev",
                          tuple(extra))
