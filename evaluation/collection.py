"""An in-memory retrieval collection (TyDi, BEIR folders, ir_datasets): the same interface as MIRACL's tasks.

:class:`CollectionTask` duck-types :class:`evaluation.datasets.RetrievalTask` (``dataset_id``, ``family``,
``lang``, ``split``, ``topics``, ``qrels``, ``corpus_files``, ``iter_corpus``), so it goes through the one
retrieval path (corpus -> BM25 / dense encoder -> FAISS -> TREC run -> pytrec_eval) unchanged.

Languages: ``query_lang`` and ``passage_lang`` name the collection's query and passage languages (ISO
639-1 where it exists). ``lang`` is the key of the collection's row in tables and its run file name: the
language for a monolingual collection, ``<query>-<passage>`` (e.g. ``sw-en``) for a cross-lingual one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from evaluation.trec_io import Qrels, Topics

Doc = tuple[str, str, str]  # (docid, title, text)


def pair_key(query_lang: str, passage_lang: str) -> str:
    """Row key of a collection: ``sw`` when both sides are Swahili, ``sw-en`` for sw queries on en passages."""
    return query_lang if query_lang == passage_lang else f"{query_lang}-{passage_lang}"


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

    @property
    def lang(self) -> str:
        """Row key: the language, or ``<query>-<passage>`` when they differ (see the module docstring)."""
        return pair_key(self.query_lang, self.passage_lang)

    @property
    def corpus_files(self) -> tuple[Path, ...]:
        """Where the corpus came from (named in error messages)."""
        return ((self.source,) if self.source is not None else ()) + self.more_sources

    def iter_corpus(self) -> Iterator[Doc]:
        """Yield ``(docid, title, text)``."""
        return self.docs()


def resolve_collection(dataset_id: str, family: str, lang: str | None, data_dir: Path | None,
                       langs: tuple[str, ...] | None, corpus: Path | None, titles: tuple[str, ...] | None,
                       query_lang: str | None, passage_lang: str | None) -> tuple[CollectionTask, ...]:
    """The tasks of a ``tydi/...``, ``beir:...`` or ``irds:...`` id (called by :func:`evaluation.datasets.resolve`)."""
    from codeswitch.errors import ConfigError
    from evaluation.datasets import check_langs

    if titles:
        raise ConfigError(f"--titles restricts XQuAD-R / MLQA-R articles; {dataset_id} has no article titles")
    if corpus:
        raise ConfigError(f"--corpus is for MIRACL / Mr.TyDi; {dataset_id} brings its own corpus")
    if family == "tydi":
        from evaluation.tydi import TYDI_LANGS, load_tydi

        chosen = (lang,) if lang else check_langs(langs, TYDI_LANGS, dataset_id)
        if lang and langs:
            check_langs(langs, (lang,), dataset_id)
        return tuple(load_tydi(code, data_dir) for code in chosen)
    if langs:
        raise ConfigError(f"--langs narrows multi-language ids; {dataset_id} is one collection (use --query-lang / "
                          "--passage-lang to name its languages)")
    if family == "beir":
        from evaluation.beir import load_beir

        return (load_beir(dataset_id, query_lang, passage_lang),)
    from evaluation.irds import load_irds

    return (load_irds(dataset_id, query_lang, passage_lang),)
