"""Any BEIR-layout folder as a retrieval collection: ``--dataset beir:PATH`` (or ``beir:PATH@split``).

Layout (what BEIR, MTEB and most new low-resource benchmarks ship)::

    PATH/corpus.jsonl         {"_id", "title", "text"[, "lang"]} per line
    PATH/queries.jsonl        {"_id", "text"[, "lang"]} per line
    PATH/qrels/<split>.tsv    [header line,] query-id <TAB> corpus-id <TAB> score

The split is the one after ``@``, else ``test`` when ``qrels/test.tsv`` exists, else the only TSV in
``qrels/``. As in BEIR's own loader, only queries with judgments in that split are evaluated; labels
>= 1 are relevant (trec_eval's rule). Query and passage languages come from ``--query-lang`` /
``--passage-lang``, else from a ``lang`` field (one language per side), else it is an error: every table
names a collection's query and passage language, so a cross-lingual folder (sw queries on English
passages, as in AfriQA or CIRAL) reports ``sw-en``.

Every file is read as UTF-8 (a byte-order mark is skipped; another encoding is a one-line error naming
file and line); ids must be TREC fields (no whitespace), every ``text`` a string; qrels with no
judgment or none relevant, and an empty corpus, are errors (nothing to evaluate).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.languages import check_lang
from evaluation.collections.base import CollectionTask, Request, Resolved, no_lang_or_split, one_collection
from evaluation.trec_io import has_space, text_lines

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
    """The objects of a BEIR ``corpus.jsonl`` / ``queries.jsonl``, each checked: an ``_id`` that can be a TREC
    field (a string or integer without whitespace) and a ``text`` string."""
    if not path.is_file():
        raise ConfigError(f"BEIR folder {path.parent}: {path.name} not found; expected corpus.jsonl, queries.jsonl "
                          "and qrels/<split>.tsv")
    for lineno, line in text_lines(path):
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or any(f not in obj for f in fields):
                raise TypeError
        except (json.JSONDecodeError, TypeError):
            raise DataFormatError(f"expected a JSON object with {', '.join(fields)}", path, lineno) from None
        ident = obj["_id"]
        if isinstance(ident, bool) or not isinstance(ident, str | int) or has_space(str(ident)):
            raise DataFormatError(f'"_id" {ident!r} is not an id: give a string (or integer) without whitespace, '
                                  "since TREC runs and qrels split their lines on spaces", path, lineno)
        if not isinstance(obj["text"], str):
            found = "null" if obj["text"] is None else type(obj["text"]).__name__
            raise DataFormatError(f'"text" is {found}, expected a string; give every line its text or drop the line',
                                  path, lineno)
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


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def read_beir_qrels(path: Path) -> dict[str, dict[str, int]]:
    """A BEIR qrels TSV: ``query-id<TAB>corpus-id<TAB>score`` lines, after an optional header line.

    The header is recognised by content, not position: the first line is a header when its third
    field is not an integer (``query-id corpus-id score``), so a file without one keeps its first
    judgment. A file with no judgment, or none relevant (label >= 1), has nothing to evaluate: an error.
    """
    qrels: dict[str, dict[str, int]] = {}
    first = True
    for lineno, line in text_lines(path):
        parts = line.split("\t")
        if first:
            first = False
            if len(parts) < 3 or not _is_int(parts[2]):
                continue  # the header line
        if len(parts) != 3 or not _is_int(parts[2]):
            raise DataFormatError(f"expected query-id<TAB>corpus-id<TAB>integer score, found {line.strip()!r}",
                                  path, lineno)
        qid, docid, score = parts
        for what, ident in (("query", qid), ("corpus", docid)):
            if has_space(ident):
                raise DataFormatError(f"{what} id {ident!r} is empty or holds whitespace; TREC runs and qrels split "
                                      "their lines on spaces: remove it from the ids", path, lineno)
        qrels.setdefault(qid, {})[docid] = int(score)
    if not qrels:
        raise DataFormatError("holds no judgments (only a header line?), so there is nothing to evaluate; add "
                              "query-id<TAB>corpus-id<TAB>score lines or pick another split", path)
    if not any(grade >= 1 for judged in qrels.values() for grade in judged.values()):
        raise DataFormatError("no judgment is relevant (every score < 1), so every metric would be 0; check the "
                              "score column or pick another split", path)
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
    if next(_jsonl(corpus_path, ("_id", "text")), None) is None:  # also the missing-file error
        raise DataFormatError("holds no passages, so there is nothing to retrieve; give the folder its corpus",
                              corpus_path)
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


parse = no_lang_or_split


def load(dataset_id: str, request: Request) -> Resolved:
    """The one task of a ``beir:PATH[@split]`` id."""
    return one_collection(dataset_id, request, load_beir)
