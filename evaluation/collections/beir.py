"""Any BEIR-layout folder as a retrieval collection: ``--dataset beir:PATH`` (or ``beir:PATH@split``).

Layout (what BEIR, MTEB and most new low-resource benchmarks ship)::

    PATH/corpus.jsonl         {"_id", "title", "text"[, "lang"]} per line
    PATH/queries.jsonl        {"_id", "text"[, "lang"]} per line
    PATH/qrels/<split>.tsv    header line, then query-id <TAB> corpus-id <TAB> score

The split is the one after ``@``, else ``test`` when ``qrels/test.tsv`` exists, else the only TSV in
``qrels/``. As in BEIR's own loader, only queries with judgments in that split are evaluated; labels
>= 1 are relevant (trec_eval's rule). Query and passage languages come from ``--query-lang`` /
``--passage-lang``, else from a ``lang`` field (one language per side), else it is an error: every table
names a collection's query and passage language, so a cross-lingual folder (sw queries on English
passages, as in AfriQA or CIRAL) reports ``sw-en``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.languages import check_lang
from evaluation.collections.base import CollectionTask, Request, Resolved

IDS = ()  # a prefix family: beir:PATH
FORMS = "beir:PATH"
NOTE = "A BEIR-layout folder; query → passage names the languages of each side."
TABLE_METRICS = ("ndcg@10", "recall@100")  # the columns of compare's tables
EXTRA_MEASURES: tuple[str, ...] = ()  # measured besides evaluate's defaults
LANG_HELP = "pass --query-lang and --passage-lang (ISO codes, e.g. sw and en) or add a \"lang\" field to every line"


def parse_beir_id(dataset_id: str) -> tuple[Path, str | None]:
    """``beir:PATH[@split]`` -> ``(PATH, split or None)``."""
    rest = dataset_id.split(":", 1)[1].strip()
    path, _, split = rest.rpartition("@") if "@" in rest else (rest, "", "")
    if not path:
        raise ConfigError(f"dataset {dataset_id!r}: give a folder after beir:, e.g. beir:data/afriqa-sw-en")
    return Path(path), split or None


def _jsonl(path: Path, fields: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    if not path.is_file():
        raise ConfigError(f"BEIR folder {path.parent}: {path.name} not found; expected corpus.jsonl, queries.jsonl "
                          "and qrels/<split>.tsv")
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict) or any(f not in obj for f in fields):
                    raise TypeError
            except (json.JSONDecodeError, TypeError):
                raise DataFormatError(f"expected a JSON object with {', '.join(fields)}", path, lineno) from None
            yield lineno, obj


def _qrels_file(root: Path, split: str | None) -> Path:
    qdir = root / "qrels"
    if split:
        path = qdir / f"{split}.tsv"
        if not path.is_file():
            raise ConfigError(f"BEIR folder {root}: qrels/{split}.tsv not found; available: "
                              f"{' '.join(p.stem for p in sorted(qdir.glob('*.tsv'))) or 'none'}")
        return path
    if (qdir / "test.tsv").is_file():
        return qdir / "test.tsv"
    files = sorted(qdir.glob("*.tsv"))
    if len(files) != 1:
        raise ConfigError(f"BEIR folder {root}: expected qrels/test.tsv or a single qrels/*.tsv, found "
                          f"{' '.join(p.name for p in files) or 'none'}; pick a split with beir:{root}@<split>")
    return files[0]


def read_beir_qrels(path: Path) -> dict[str, dict[str, int]]:
    """A BEIR qrels TSV (header, then ``query-id corpus-id score``)."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if lineno == 1 or not line.strip():
                continue
            try:
                qid, docid, score = parts
                qrels.setdefault(qid, {})[docid] = int(score)
            except ValueError:
                raise DataFormatError(f"expected query-id<TAB>corpus-id<TAB>integer score, found {line.strip()!r}",
                                      path, lineno) from None
    return qrels


def side_lang(given: str | None, found: set[str], side: str, path: Path | str) -> str:
    """The language of one side: the option, else the single ``lang`` value of the file."""
    if given:
        return check_lang(given.strip().lower(), f"--{side}-lang")
    if len(found) == 1:
        return check_lang(found.pop(), f'"lang" in {path}')
    if not found:
        raise ConfigError(f"{path}: no language for the {side} side; {LANG_HELP}")
    raise ConfigError(f"{path}: the {side} side carries several languages ({' '.join(sorted(found))}); give one "
                      f"folder per language pair or pass --{side}-lang")


def load_beir(dataset_id: str, query_lang: str | None = None, passage_lang: str | None = None) -> CollectionTask:
    """A BEIR folder as a :class:`CollectionTask` (see the module docstring)."""
    root, split = parse_beir_id(dataset_id)
    if not root.is_dir():
        raise ConfigError(f"dataset {dataset_id!r}: {root} is not a directory; give a BEIR folder after beir:")
    qrels_path = _qrels_file(root, split)
    qrels = read_beir_qrels(qrels_path)
    topics, qlangs = {}, set()
    for lineno, obj in _jsonl(root / "queries.jsonl", ("_id", "text")):
        if str(obj["_id"]) in topics:
            raise DataFormatError(f"query id {obj['_id']!r} appears twice; ids must be unique", root / "queries.jsonl",
                                  lineno)
        if str(obj["_id"]) in qrels:
            topics[str(obj["_id"])] = str(obj["text"])
            if obj.get("lang"):
                qlangs.add(str(obj["lang"]).lower())
    corpus_path = root / "corpus.jsonl"
    plangs: set[str] = set()
    if passage_lang is None:
        plangs = {str(o["lang"]).lower() for _, o in _jsonl(corpus_path, ("_id", "text")) if o.get("lang")}
    elif not corpus_path.is_file():
        next(_jsonl(corpus_path, ("_id", "text")), None)  # the missing-file error
    missing = sorted(set(qrels) - set(topics))
    if missing:
        raise DataFormatError(f"{len(missing)} judged queries are not in queries.jsonl (e.g. {missing[0]!r}); use "
                              "the matching queries file", qrels_path)
    q = side_lang(query_lang, qlangs, "query", root / "queries.jsonl")
    p = side_lang(passage_lang, plangs, "passage", corpus_path)

    def docs() -> Iterator[tuple[str, str, str]]:
        for _, obj in _jsonl(corpus_path, ("_id", "text")):
            yield str(obj["_id"]), str(obj.get("title") or ""), str(obj["text"])

    return CollectionTask(dataset_id, "beir", q, p, topics, qrels, docs, corpus_path, qrels_path.stem)


def parse(norm: str) -> tuple[str | None, str | None]:
    """A BEIR id names no language or split of a multi-language set."""
    return None, None


def load(dataset_id: str, request: Request) -> Resolved:
    """The one task of a ``beir:PATH[@split]`` id."""
    request.refuse_titles(dataset_id)
    request.refuse_corpus(dataset_id)
    request.refuse_langs(dataset_id)
    return Resolved(dataset_id, tasks=(load_beir(dataset_id, request.query_lang, request.passage_lang),))
