"""ir_datasets collections: ``--dataset irds:<id>`` (e.g. ``irds:miracl/sw/dev``, ``irds:mr-tydi/sw/test``,
``irds:neuclir/1/fa/trec-2022``, ``irds:mmarco/v2/fr/dev/small``).

The ``ir_datasets`` package (``pip install 'codeswitch[irds]'``) downloads a collection on first use into
its own cache (``$IR_DATASETS_HOME``, default ``~/.ir_datasets``) and reads it from there afterwards, so
this needs network access once. Queries are ``queries_iter()`` (text: the ``text`` field, else
``default_text()``), judgments ``qrels_iter()`` (labels >= 1 relevant), documents ``docs_iter()``
(``title`` + ``text`` where the collection has them). Query and passage languages come from
``--query-lang`` / ``--passage-lang``, else from ``queries_lang()`` / ``docs_lang()``. As with BEIR
folders, only judged queries are evaluated. Every failure (package missing, unknown id, no network)
becomes one ``ConfigError`` line naming the id and the fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from codeswitch.errors import ConfigError
from evaluation.collections.base import CollectionTask, Request, Resolved, no_lang_or_split, one_collection
from evaluation.collections.beir import side_lang

IDS = ()  # a prefix family: irds:<id>
FORMS = "irds:<id>"
NOTE = "An ir_datasets collection; query → passage names the languages of each side."
TABLE_METRICS = ("ndcg@10", "recall@100")  # the columns of compare's tables
EXTRA_MEASURES: tuple[str, ...] = ()  # measured besides evaluate's defaults
INSTALL = "pip install 'codeswitch[irds]' (or pip install ir_datasets)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _fail(irds_id: str, what: str, exc: BaseException) -> ConfigError:
    return ConfigError(f"irds:{irds_id}: could not {what} ({_first_line(exc)}); ir_datasets downloads a "
                       "collection on first use, so run this once with network access (or copy its "
                       "~/.ir_datasets cache here)")


def _text(obj) -> str:
    text = getattr(obj, "text", None)
    return str(text if text is not None else obj.default_text())


def load_irds(dataset_id: str, query_lang: str | None = None, passage_lang: str | None = None) -> CollectionTask:
    """An ir_datasets id as a :class:`CollectionTask` (see the module docstring)."""
    irds_id = dataset_id.split(":", 1)[1].strip()
    if not irds_id:
        raise ConfigError(f"dataset {dataset_id!r}: give an ir_datasets id after irds:, e.g. irds:miracl/sw/dev")
    try:
        import ir_datasets
    except ImportError:
        raise ConfigError(f"{dataset_id}: the ir_datasets package is not installed; {INSTALL}") from None
    try:
        ds = ir_datasets.load(irds_id)
    except KeyError:
        raise ConfigError(f"{dataset_id}: ir_datasets knows no dataset {irds_id!r}; see "
                          "https://ir-datasets.com for the ids (e.g. miracl/sw/dev)") from None
    for part in ("queries", "qrels", "docs"):
        if not getattr(ds, f"has_{part}")():
            raise ConfigError(f"{dataset_id}: this ir_datasets id has no {part}; pick an id with queries, qrels and "
                              "docs (an evaluation split such as miracl/sw/dev)")
    try:
        qrels: dict[str, dict[str, int]] = {}
        for qrel in ds.qrels_iter():
            qrels.setdefault(str(qrel.query_id), {})[str(qrel.doc_id)] = int(qrel.relevance)
        topics = {str(q.query_id): _text(q) for q in ds.queries_iter() if str(q.query_id) in qrels}
    except Exception as exc:  # noqa: BLE001 - downloads fail in many ways; each becomes one line
        raise _fail(irds_id, "load its queries and qrels", exc) from None
    q = side_lang(query_lang, {ds.queries_lang()} - {None}, "query", f"irds:{irds_id} queries")
    p = side_lang(passage_lang, {ds.docs_lang()} - {None}, "passage", f"irds:{irds_id} docs")

    def docs() -> Iterator[tuple[str, str, str]]:
        try:
            for doc in ds.docs_iter():
                yield str(doc.doc_id), str(getattr(doc, "title", "") or ""), _text(doc)
        except Exception as exc:  # noqa: BLE001
            raise _fail(irds_id, "read its documents", exc) from None

    # the id stands in for a file in error messages (retrieve.load_corpus names the corpus "file")
    return CollectionTask(dataset_id, "irds", q, p, topics, qrels, docs, Path(dataset_id), irds_id.rsplit("/", 1)[-1])


parse = no_lang_or_split


def load(dataset_id: str, request: Request) -> Resolved:
    """The one task of an ``irds:<id>``."""
    return one_collection(dataset_id, request, load_irds)
