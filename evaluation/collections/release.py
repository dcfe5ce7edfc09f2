"""The release-file layout that MIRACL and Mr.TyDi share: topics TSV, TREC qrels, corpus JSONL(.gz) folders.

A local directory (``--data-dir``) is searched recursively for the release file names, so the
anserini-tools layout of ``../shared/data`` and the Hugging Face repo layouts both work; without one,
the family's ``download`` fetches the files from the hub once. A corpus line is
``{"docid", "title", "text"}``. The family modules (:mod:`miracl`, :mod:`mrtydi`) say which names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codeswitch.errors import ConfigError
from evaluation.collections.base import Request, Resolved, RetrievalTask, local_dir, offline_hint
from evaluation.trec_io import read_qrels, read_topics


@dataclass(frozen=True)
class ReleaseFiles:
    """The file names of one language and split of a release-layout family, and how to download them.

    ``download(with_corpus)`` fetches them from the hub and returns the local root (network only).
    """

    family: str
    lang: str
    split: str
    topic_names: tuple[str, ...]
    qrel_names: tuple[str, ...]
    corpus_dirs: tuple[str, ...]
    download: Callable[[bool], Path]

    @property
    def dataset_id(self) -> str:
        return f"{self.family}/{self.lang}/{self.split}"

    @property
    def corpus_hint(self) -> str:
        return f"{self.corpus_dirs[0]}/*.jsonl.gz"


def _find(root: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        hits = sorted(root.rglob(name))
        if hits:
            return hits[0]
    return None


def _corpus_files(root: Path, dirnames: tuple[str, ...]) -> tuple[Path, ...]:
    for dirname in dirnames:
        for d in sorted(p for p in root.rglob(dirname) if p.is_dir()):
            files = sorted(list(d.glob("*.jsonl")) + list(d.glob("*.jsonl.gz")))
            if files:
                return tuple(files)
    return ()


def explicit_corpus(path: Path) -> tuple[Path, ...]:
    """The files of ``--corpus``: one file, or the ``*.jsonl(.gz)`` files of a folder."""
    if path.is_dir():
        files = sorted(list(path.glob("*.jsonl")) + list(path.glob("*.jsonl.gz")))
        if not files:
            raise ConfigError(f"--corpus {path}: no *.jsonl or *.jsonl.gz files in this directory")
        return tuple(files)
    if not path.is_file():
        raise ConfigError(f"--corpus {path}: no such file or directory")
    return (path,)


def load_task(files: ReleaseFiles, data_dir: Path | None, corpus: Path | None) -> RetrievalTask:
    """Topics, qrels and corpus files of one language, from ``data_dir`` or (without one) the hub."""
    if data_dir is None:
        with offline_hint(files.dataset_id, "the Hugging Face hub",
                          f"--data-dir DIR (a folder holding {files.topic_names[-1]}, {files.qrel_names[0]} and "
                          f"{files.corpus_hint}; e.g. ../shared/data) and/or --corpus FILE"):
            root = files.download(corpus is None)
    else:
        root = local_dir(data_dir)
    topics_path, qrels_path = _find(root, files.topic_names), _find(root, files.qrel_names)
    if topics_path is None or qrels_path is None:
        missing = files.topic_names[0] if topics_path is None else files.qrel_names[0]
        raise ConfigError(f"{files.dataset_id}: {missing} not found under {root}; point --data-dir at the "
                          "release files (or leave it out to download from the Hugging Face hub)")
    found = explicit_corpus(Path(corpus)) if corpus else _corpus_files(root, files.corpus_dirs)
    return RetrievalTask(files.dataset_id, files.family, files.lang, files.split, read_topics(topics_path),
                         read_qrels(qrels_path), found, files.corpus_hint)


def resolve_release(dataset_id: str, lang: str | None, split: str, available: tuple[str, ...], request: Request,
                    files_of: Callable[[str, str], ReleaseFiles]) -> Resolved:
    """The tasks of a ``<family>/<lang>/<split>`` or ``<family>/<split>`` id (``--corpus`` only with one language)."""
    request.refuse_titles(dataset_id)
    chosen = request.chosen_langs(lang, available, dataset_id)
    corpus = request.corpus if len(chosen) == 1 else None
    return Resolved(dataset_id, tasks=tuple(load_task(files_of(code, split), request.data_dir, corpus)
                                            for code in chosen))


def split_ids(family: str, table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """``<family>/<split>`` and ``<family>/<lang>/<split>`` for every split and language of ``table``."""
    ids: list[str] = []
    for split, langs in table.items():
        ids.append(f"{family}/{split}")
        ids.extend(f"{family}/{lang}/{split}" for lang in langs)
    return tuple(ids)


def parse_split_id(norm: str) -> tuple[str | None, str | None]:
    """``(lang, split)`` of ``<family>/<split>`` (lang None) or ``<family>/<lang>/<split>``."""
    parts = norm.split("/")
    return (None, parts[1]) if len(parts) == 2 else (parts[1], parts[2])
