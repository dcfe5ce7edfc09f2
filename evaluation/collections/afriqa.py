"""AfriQA dev as a retrieval test (``afriqa/<lang>``, ``afriqa/<lang>-en``, ``afriqa/dev``, ``afriqa/dev-en``).

Questions in Bemba, Hausa, Igbo, Kinyarwanda, Twi and Zulu against English Wikipedia paragraphs
(Ogundepo et al., Findings of EMNLP 2023), built offline from the dev files of
``../shared/data/afriqa-dev`` exactly as its PROVENANCE.md fixes the test:

* every text is normalised: Unicode NFC, then each run of whitespace -> one space, stripped;
* the pool is the union of the normalised ``context`` of all six gold-passage files, deduplicated by
  text (1,507 passages); a passage's title is the ``title`` of its first occurrence (files in sorted
  name order, rows in file order); docids ``afriqa-<n>`` in that order;
* the queries of a language are the ``question_lang`` of each gold row whose context and question are
  non-empty strings (rows with an empty context or a NaN question are dropped); its own gold
  context is its one relevant passage; query ids ``<lang>-dev-<id>`` (ISO code, row ``id``).

``afriqa/<lang>`` is cross-lingual (row key ``ha-en``, "ha → en"). ``afriqa/<lang>-en`` asks the same
questions in their human English translation (``question_translated``) on the same pool: the
monolingual upper bound of the same test (row key ``ha-en.upper``, "en (ha) → en"), to show beside the
cross-lingual row with the gap to it. ``afriqa/dev`` and ``afriqa/dev-en`` are all six, narrowed by
``--langs``. Files are searched under ``--data-dir`` (``afriqa-dev/`` or the folder itself).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from codeswitch.errors import ConfigError, DataFormatError
from evaluation.collections.base import CollectionTask, Request, Resolved, local_dir

CODES = {"bem": "bem", "ha": "hau", "ig": "ibo", "rw": "kin", "tw": "twi", "zu": "zul"}  # ISO -> AfriQA file code
LANGS = tuple(CODES)
EXPECTED_QUERIES = {"bem": 235, "ha": 222, "ig": 307, "rw": 230, "tw": 348, "zu": 242}
EXPECTED_PASSAGES = 1507
IDS = ("afriqa/dev", "afriqa/dev-en", *(f"afriqa/{lang}" for lang in LANGS), *(f"afriqa/{lang}-en" for lang in LANGS))
FORMS = "afriqa/<lang>, afriqa/<lang>-en, afriqa/dev, afriqa/dev-en"
NOTE = ("AfriQA dev: questions against the 1,507 English gold paragraphs of all six languages (one relevant "
        "paragraph per question); x → en is the question in its language, en (x) → en its human English "
        "translation (the upper bound of the same test).")
TABLE_METRICS = ("ndcg@10", "recall@100")
EXTRA_MEASURES: tuple[str, ...] = ()
_SPACE = re.compile(r"\s+")


def parse(norm: str) -> tuple[str | None, str | None]:
    """``afriqa/ha`` -> ``("ha", "dev")``; ``afriqa/ha-en`` -> ``("ha-en", "dev")``; ``afriqa/dev(-en)`` -> no lang."""
    part = norm.split("/")[1]
    return (None if part in ("dev", "dev-en") else part), "dev"


def load(dataset_id: str, request: Request) -> Resolved:
    """The tasks of an AfriQA id (see the module docstring)."""
    request.refuse_titles(dataset_id)
    request.refuse_corpus(dataset_id)
    part = dataset_id.strip().lower().split("/")[1]
    english = part.endswith("-en")
    lang = None if part in ("dev", "dev-en") else part.removesuffix("-en")
    chosen = request.chosen_langs(lang, LANGS, dataset_id)
    pool, rows = read_dev(request.data_dir)
    docs = [(docid, title, text) for text, (docid, title) in pool.items()]
    return Resolved(dataset_id, tasks=tuple(_task(code, english, rows[code], docs, request.data_dir)
                                            for code in chosen))


def normalise(text: str) -> str:
    """Unicode NFC, every run of whitespace -> one space, stripped (PROVENANCE.md's rule)."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _usable(value) -> bool:
    return isinstance(value, str) and bool(normalise(value))


def afriqa_dir(data_dir: Path | None) -> Path:
    """``afriqa-dev/`` under ``--data-dir`` (or the folder itself) holding ``gold_passages/``."""
    if data_dir is None:
        raise ConfigError("afriqa is read from local files only; pass --data-dir (e.g. ../shared/data, which "
                          "holds afriqa-dev/)")
    root = local_dir(data_dir)
    for cand in (root / "afriqa-dev", root):
        if (cand / "gold_passages").is_dir():
            return cand
    raise ConfigError(f"afriqa: no gold_passages/ folder in {root} or {root / 'afriqa-dev'}; point --data-dir at "
                      "the folder holding afriqa-dev/ (e.g. ../shared/data)")


def gold_file(root: Path, lang: str) -> Path:
    """The gold-passage file of one language."""
    path = root / "gold_passages" / f"gold_span_passages.afriqa.{CODES[lang]}.en.dev.json"
    if not path.is_file():
        raise ConfigError(f"afriqa/{lang}: {path.name} not found in {path.parent}; the folder must hold the six "
                          "AfriQA dev gold-passage files")
    return path


def read_dev(data_dir: Path | None) -> tuple[dict[str, tuple[str, str]], dict[str, list[tuple[str, str, str, str]]]]:
    """The pool (normalised text -> (docid, title)) and, per language, its usable rows.

    A row is ``(query id, question, English translation, normalised context)``.
    """
    root = afriqa_dir(data_dir)
    files = sorted(((gold_file(root, lang), lang) for lang in LANGS), key=lambda fl: fl[0].name)
    pool: dict[str, tuple[str, str]] = {}
    rows: dict[str, list[tuple[str, str, str, str]]] = {}
    for path, lang in files:
        out = rows.setdefault(lang, [])
        seen: set[str] = set()
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    context, question, rid = obj["context"], obj["question_lang"], obj["id"]
                    translated = obj.get("question_translated")
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise DataFormatError('expected a JSON object with "id", "context", "question_lang"', path,
                                          lineno) from None
                if not _usable(context):
                    continue
                text = normalise(context)
                if text not in pool:
                    pool[text] = (f"afriqa-{len(pool)}", normalise(str(obj.get("title") or "")))
                if not _usable(question):  # NaN questions (floats) and empty strings are dropped
                    continue
                qid = f"{lang}-dev-{rid}"
                if qid in seen:
                    raise DataFormatError(f"row id {rid!r} appears twice", path, lineno)
                seen.add(qid)
                out.append((qid, normalise(question), normalise(translated) if _usable(translated) else "", text))
    return pool, rows


def _task(lang: str, english: bool, rows: list[tuple[str, str, str, str]], docs: list[tuple[str, str, str]],
          data_dir: Path | None) -> CollectionTask:
    root = afriqa_dir(data_dir)
    docid_of = {text: docid for docid, _, text in docs}
    if english:
        missing = [qid for qid, _, translated, _ in rows if not translated]
        if missing:
            raise DataFormatError(f"afriqa/{lang}-en: {len(missing)} rows have no question_translated (e.g. "
                                  f"{missing[0]})", gold_file(root, lang))
    topics = {qid: (translated if english else question) for qid, question, translated, _ in rows}
    qrels = {qid: {docid_of[context]: 1} for qid, _, _, context in rows}
    sources = tuple(gold_file(root, code) for code in sorted(LANGS, key=lambda c: CODES[c]))
    key = f"{lang}-en.upper" if english else None
    label = f"en ({lang}) → en" if english else None
    return CollectionTask(f"afriqa/{lang}-en" if english else f"afriqa/{lang}", "afriqa",
                          "en" if english else lang, "en", topics, qrels, lambda: iter(docs), sources[0], "dev",
                          sources[1:], key=key, label=label)
