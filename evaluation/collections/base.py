"""The task types every collection family returns, and what a family's loader is given.

Two task types go through the one retrieval path (corpus -> BM25 / dense encoder -> FAISS -> TREC run
-> pytrec_eval): :class:`RetrievalTask` (MIRACL / Mr.TyDi: topics, qrels and corpus files on disk) and
:class:`CollectionTask` (TyDi, BEIR folders, ir_datasets: a corpus reader). Both have ``dataset_id``,
``family``, ``lang``, ``split``, ``topics``, ``qrels``, ``corpus_files`` and ``iter_corpus``. A LAReQA
id resolves to a pool (:class:`evaluation.collections.lareqa.LareqaPool`) instead.

Languages: ``query_lang`` and ``passage_lang`` name a collection's query and passage languages (ISO
639-1 where it exists). ``lang`` is the key of the collection's row in tables and its run file name: the
language for a monolingual collection, ``<query>-<passage>`` (e.g. ``sw-en``) for a cross-lingual one.

This module imports no family module (the families import it).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.languages import LANGUAGES
from evaluation.trec_io import Qrels, Topics, open_text

Doc = tuple[str, str, str]  # (docid, title, text)


def pair_key(query_lang: str, passage_lang: str) -> str:
    """Row key of a collection: ``sw`` when both sides are Swahili, ``sw-en`` for sw queries on en passages."""
    return query_lang if query_lang == passage_lang else f"{query_lang}-{passage_lang}"


@dataclass(frozen=True)
class RetrievalTask:
    """One language of MIRACL or Mr.TyDi: topics, qrels and where its corpus is.

    ``corpus_hint`` names the release files to put under ``--data-dir`` when no corpus was found.
    """

    dataset_id: str
    family: str
    lang: str
    split: str
    topics: Topics
    qrels: Qrels
    corpus_files: tuple[Path, ...]
    corpus_hint: str = "the corpus *.jsonl.gz files"

    def iter_corpus(self) -> Iterator[Doc]:
        """Yield ``(docid, title, text)`` from the corpus JSONL(.gz) files, validated with file:line."""
        if not self.corpus_files:
            raise DataFormatError(f"no corpus for {self.dataset_id}: put the release files "
                                  f"({self.corpus_hint}) under --data-dir or pass --corpus")
        for path in self.corpus_files:
            with open_text(path) as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                        yield str(obj["docid"]), str(obj.get("title") or ""), str(obj["text"])
                    except (json.JSONDecodeError, KeyError, TypeError):
                        raise DataFormatError('expected a JSON object {"docid", "title", "text"}', path,
                                              lineno) from None


@dataclass(frozen=True)
class CollectionTask:
    """Topics, qrels and a corpus reader of one collection (one language or language pair)."""

    dataset_id: str
    family: str
    query_lang: str
    passage_lang: str
    topics: Topics
    qrels: Qrels
    docs: Callable[[], Iterator[Doc]]
    source: Path | None = None
    split: str = "test"
    more_sources: tuple[Path, ...] = ()  # further corpus files (part of an on-disk index's key)
    key: str | None = None  # a row key of its own (two tasks of one id with the same languages)
    label: str | None = None  # how tables name the row (default ``query → passage``)

    @property
    def lang(self) -> str:
        """Row key: ``key``, else the language, or ``<query>-<passage>`` when they differ (module docstring)."""
        return self.key or pair_key(self.query_lang, self.passage_lang)

    @property
    def corpus_files(self) -> tuple[Path, ...]:
        """Where the corpus came from (named in error messages)."""
        return ((self.source,) if self.source is not None else ()) + self.more_sources

    def iter_corpus(self) -> Iterator[Doc]:
        """Yield ``(docid, title, text)``."""
        return self.docs()


Task = RetrievalTask | CollectionTask  # what the retrieval path takes


@dataclass(frozen=True)
class Request:
    """What ``evaluate`` asks of a dataset id besides the id itself (the options of the command line).

    ``data_dir``: a local release folder (else the hub, where the family has one); ``langs``: narrow a
    multi-language id; ``corpus``: a MIRACL / Mr.TyDi corpus file or folder; ``titles``: restrict
    XQuAD-R / MLQA-R to those articles; ``query_lang`` / ``passage_lang``: the languages of a
    ``beir:`` / ``irds:`` collection.
    """

    data_dir: Path | None = None
    langs: tuple[str, ...] | None = None
    corpus: Path | None = None
    titles: tuple[str, ...] | None = None
    query_lang: str | None = None
    passage_lang: str | None = None

    def refuse_titles(self, dataset_id: str) -> None:
        """``--titles`` is for LAReQA ids only."""
        if self.titles:
            raise ConfigError(f"--titles restricts XQuAD-R / MLQA-R articles; {dataset_id} has no article titles")

    def refuse_corpus(self, dataset_id: str) -> None:
        """``--corpus`` is for MIRACL / Mr.TyDi only."""
        if self.corpus:
            raise ConfigError(f"--corpus is for MIRACL / Mr.TyDi; {dataset_id} brings its own corpus")

    def refuse_langs(self, dataset_id: str) -> None:
        """``--langs`` narrows multi-language ids; a single collection has none to narrow."""
        if self.langs:
            raise ConfigError(f"--langs narrows multi-language ids; {dataset_id} is one collection (use "
                              "--query-lang / --passage-lang to name its languages)")

    def chosen_langs(self, lang: str | None, available: tuple[str, ...], dataset_id: str) -> tuple[str, ...]:
        """The languages to load: the id's own ``lang`` (``--langs`` must agree) or ``--langs`` of ``available``."""
        chosen = (lang,) if lang else check_langs(self.langs, available, dataset_id)
        if lang and self.langs:
            check_langs(self.langs, (lang,), dataset_id)
        return chosen


@dataclass(frozen=True)
class Resolved:
    """A dataset id resolved to its tasks (retrieval) or its LAReQA pool."""

    dataset_id: str
    tasks: tuple[Task, ...] = ()
    pool: Any = None  # evaluation.collections.lareqa.LareqaPool for xquad-r / mlqa-r


def no_lang_or_split(norm: str) -> tuple[str | None, str | None]:
    """``parse`` of a family whose ids name one collection (no language or split to read off the id)."""
    return None, None


def one_collection(dataset_id: str, request: Request, loader: Callable[..., CollectionTask]) -> Resolved:
    """``load`` of a one-collection family (``beir:``, ``irds:``): ``loader(id, query_lang, passage_lang)``.

    ``--titles``, ``--corpus`` and ``--langs`` have nothing to act on there and are refused.
    """
    request.refuse_titles(dataset_id)
    request.refuse_corpus(dataset_id)
    request.refuse_langs(dataset_id)
    return Resolved(dataset_id, tasks=(loader(dataset_id, request.query_lang, request.passage_lang),))


def close_matches(name: str, choices: list[str]) -> str:
    """``"; did you mean a, b?"`` for the close matches of ``name`` among ``choices``, else ``""``."""
    near = difflib.get_close_matches(name, choices, n=5, cutoff=0.5)
    return f"; did you mean {', '.join(near)}?" if near else ""


def check_langs(langs: tuple[str, ...] | None, available: tuple[str, ...], dataset_id: str) -> tuple[str, ...]:
    """Narrow ``available`` to ``langs``; an unknown or unavailable language is a ConfigError."""
    if not langs:
        return available
    out = []
    for lang in langs:
        code = lang.strip().lower()
        if code in out:
            raise ConfigError(f"language {lang!r} is given twice for {dataset_id}; name each language once")
        if code not in available:
            known = "" if code in LANGUAGES else " (not an ISO code this toolkit knows)"
            raise ConfigError(f"language {lang!r} is not in {dataset_id}{known}{close_matches(code, list(available))}; "
                              f"available: {' '.join(available)}")
        out.append(code)
    return tuple(out)


def local_dir(data_dir: Path | str) -> Path:
    """``--data-dir`` as a Path; a path that is no directory is a ConfigError."""
    root = Path(data_dir)
    if not root.is_dir():
        raise ConfigError(f"--data-dir {root}: not a directory")
    return root


@contextmanager
def offline_hint(what: str, where: str, fix: str) -> Iterator[None]:
    """Turn a failed download (no network, hub unreachable) into one ConfigError line saying what to pass."""
    try:
        yield
    except OSError as exc:  # URLError, requests/httpx errors and huggingface_hub's LocalEntryNotFoundError
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"{what}: could not download it from {where} ({type(exc).__name__}: {detail}); "
                          f"offline, pass local files with {fix}") from None
