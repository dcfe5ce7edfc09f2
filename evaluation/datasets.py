"""Dataset registry: ids -> loaders for MIRACL, Mr.TyDi (topics, qrels, corpus) and LAReQA pools.

Ids: ``miracl/<lang>/<split>`` (split ``dev`` or ``train``), ``miracl/<split>`` (every language
of that split, narrowed with ``langs``), ``mrtydi/<lang>/<split>`` (``train``/``dev``/``test``),
``mrtydi/<split>``, ``xquad-r`` and ``mlqa-r`` (all their languages, or ``langs``); ``tydi/<lang>`` and
``tydi/dev`` (:mod:`evaluation.tydi`), ``beir:PATH`` (:mod:`evaluation.beir`), ``irds:<id>`` (:mod:`evaluation.irds`).

Sources: a local directory in the release layout (``data_dir``; searched recursively for the
release file names, so the anserini-tools layout of ``../shared/data`` and the Hugging Face repo
layouts both work) or, without one, the Hugging Face hub (``miracl/miracl`` and
``miracl/miracl-corpus``; ``castorini/mr-tydi`` and ``castorini/mr-tydi-corpus``) and the LAReQA
GitHub release, downloaded once into the hub cache.

Release file names: MIRACL ``topics.miracl-v1.0-<lang>-<split>.tsv``,
``qrels.miracl-v1.0-<lang>-<split>.tsv``, corpus ``miracl-corpus-v1.0-<lang>/docs-*.jsonl(.gz)``;
Mr.TyDi ``topics.mrtydi-v1.1-<lang>.<split>.txt(.gz)``, ``qrels.mrtydi-v1.1-<lang>.<split>.txt``,
corpus ``mrtydi-v1.1-<language name>/corpus.jsonl(.gz)``; LAReQA ``xquad-r/<lang>.json``,
``mlqa-r/<lang>.json`` (or ``mlqa-dev-r/``). A corpus line is ``{"docid", "title", "text"}``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.languages import LANGUAGES
from evaluation.lareqa import MLQA_R_LANGS, XQUAD_R_LANGS, LareqaPool, load_pool
from evaluation.trec_io import Qrels, Topics, open_text, read_qrels, read_topics
from evaluation.tydi import TYDI_LANGS

MIRACL_LANGS = {
    "dev": ("ar", "bn", "de", "en", "es", "fa", "fi", "fr", "hi", "id", "ja", "ko", "ru", "sw", "te", "th",
            "yo", "zh"),
    "train": ("ar", "bn", "en", "es", "fa", "fi", "fr", "hi", "id", "ja", "ko", "ru", "sw", "te", "th", "zh"),
}
_MRTYDI = ("ar", "bn", "en", "fi", "id", "ja", "ko", "ru", "sw", "te", "th")
MRTYDI_LANGS = {"train": _MRTYDI, "dev": _MRTYDI, "test": _MRTYDI}
LAREQA_LANGS = {"xquad-r": XQUAD_R_LANGS, "mlqa-r": MLQA_R_LANGS}
LAREQA_URL = "https://raw.githubusercontent.com/google-research-datasets/lareqa/master/{name}/{lang}.json"


def registry() -> list[str]:
    """Every dataset id the registry accepts (the click choices and the close-match list)."""
    ids = ["xquad-r", "mlqa-r"]
    for family, table in (("miracl", MIRACL_LANGS), ("mrtydi", MRTYDI_LANGS)):
        for split, langs in table.items():
            ids.append(f"{family}/{split}")
            ids.extend(f"{family}/{lang}/{split}" for lang in langs)
    return ids + ["tydi/dev", *(f"tydi/{lang}" for lang in TYDI_LANGS)]


@dataclass(frozen=True)
class RetrievalTask:
    """One language of MIRACL or Mr.TyDi: topics, qrels and where its corpus is."""

    dataset_id: str
    family: str
    lang: str
    split: str
    topics: Topics
    qrels: Qrels
    corpus_files: tuple[Path, ...]

    def iter_corpus(self) -> Iterator[tuple[str, str, str]]:
        """Yield ``(docid, title, text)`` from the corpus JSONL(.gz) files, validated with file:line."""
        if not self.corpus_files:
            raise DataFormatError(f"no corpus for {self.dataset_id}: put the release files "
                                  f"({_corpus_hint(self.family, self.lang)}) under --data-dir or pass --corpus")
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
class Resolved:
    """A dataset id resolved to its tasks (retrieval) or its LAReQA pool."""

    dataset_id: str
    tasks: tuple[RetrievalTask, ...] = ()
    pool: LareqaPool | None = None


def _close(name: str, choices: list[str]) -> str:
    near = difflib.get_close_matches(name, choices, n=5, cutoff=0.5)
    return f"; did you mean {', '.join(near)}?" if near else ""


def parse_id(dataset_id: str) -> tuple[str, str | None, str | None]:
    """``(family, lang, split)`` of a dataset id, or a ConfigError listing close matches."""
    norm = dataset_id.strip().lower()
    if norm.split(":", 1)[0] in ("beir", "irds") and ":" in norm:
        return norm.split(":", 1)[0], None, None
    if norm in registry():
        parts = norm.split("/")
        if parts[0] == "tydi":
            return "tydi", None if parts[1] == "dev" else parts[1], "dev"
        if len(parts) == 1:
            return parts[0], None, None
        if len(parts) == 2:
            return parts[0], None, parts[1]
        return parts[0], parts[1], parts[2]
    raise ConfigError(f"unknown dataset id {dataset_id!r}{_close(norm, registry())} "
                      "(forms: miracl/<lang>/<dev|train>, mrtydi/<lang>/<train|dev|test>, xquad-r, mlqa-r, "
                      "tydi/<lang>, tydi/dev, beir:PATH, irds:<id>)")


def check_langs(langs: tuple[str, ...] | None, available: tuple[str, ...], dataset_id: str) -> tuple[str, ...]:
    """Narrow ``available`` to ``langs``; an unknown or unavailable language is a ConfigError."""
    if not langs:
        return available
    out = []
    for lang in langs:
        code = lang.strip().lower()
        if code not in available:
            known = "" if code in LANGUAGES else " (not an ISO code this toolkit knows)"
            raise ConfigError(f"language {lang!r} is not in {dataset_id}{known}{_close(code, list(available))}; "
                              f"available: {' '.join(available)}")
        out.append(code)
    return tuple(out)


def resolve(dataset_id: str, data_dir: Path | None = None, langs: tuple[str, ...] | None = None,
            corpus: Path | None = None, titles: tuple[str, ...] | None = None, query_lang: str | None = None,
            passage_lang: str | None = None) -> Resolved:
    """Load a dataset id from ``data_dir`` (release layout) or, without one, from the hub.

    ``titles`` restricts XQuAD-R / MLQA-R to those articles (held-out evaluation); it is an
    error for MIRACL and Mr.TyDi, which have no articles. ``query_lang`` / ``passage_lang`` name the
    languages of a ``beir:`` / ``irds:`` collection.
    """
    family, lang, split = parse_id(dataset_id)
    if family in ("tydi", "beir", "irds"):
        from evaluation.collection import resolve_collection

        return Resolved(dataset_id, tasks=resolve_collection(dataset_id, family, lang, data_dir, langs, corpus,
                                                             titles, query_lang, passage_lang))
    if family in LAREQA_LANGS:
        chosen = check_langs(langs, LAREQA_LANGS[family], dataset_id)
        return Resolved(dataset_id, pool=load_pool(family, _lareqa_dir(family, data_dir, chosen), chosen, titles))
    if titles:
        raise ConfigError(f"--titles restricts XQuAD-R / MLQA-R articles; {dataset_id} has no article titles")
    table = MIRACL_LANGS if family == "miracl" else MRTYDI_LANGS
    chosen = (lang,) if lang else check_langs(langs, table[split], dataset_id)
    if lang and langs:
        check_langs(langs, (lang,), dataset_id)
    tasks = tuple(_task(family, code, split, data_dir, corpus if len(chosen) == 1 else None) for code in chosen)
    return Resolved(dataset_id, tasks=tasks)


# ---------------------------------------------------------------------------------------------
# file finding


def _names(family: str, lang: str, split: str) -> tuple[list[str], list[str]]:
    if family == "miracl":
        return [f"topics.miracl-v1.0-{lang}-{split}.tsv"], [f"qrels.miracl-v1.0-{lang}-{split}.tsv"]
    return ([f"topics.mrtydi-v1.1-{lang}.{split}.txt.gz", f"topics.mrtydi-v1.1-{lang}.{split}.txt"],
            [f"qrels.mrtydi-v1.1-{lang}.{split}.txt"])


def _corpus_dirs(family: str, lang: str) -> list[str]:
    if family == "miracl":
        return [f"miracl-corpus-v1.0-{lang}"]
    return [f"mrtydi-v1.1-{LANGUAGES[lang]}", f"mrtydi-corpus-{lang}"]


def _corpus_hint(family: str, lang: str) -> str:
    return f"{_corpus_dirs(family, lang)[0]}/*.jsonl.gz"


def _find(root: Path, names: list[str]) -> Path | None:
    for name in names:
        hits = sorted(root.rglob(name))
        if hits:
            return hits[0]
    return None


def _corpus_files(root: Path, family: str, lang: str) -> tuple[Path, ...]:
    for dirname in _corpus_dirs(family, lang):
        for d in sorted(p for p in root.rglob(dirname) if p.is_dir()):
            files = sorted(list(d.glob("*.jsonl")) + list(d.glob("*.jsonl.gz")))
            if files:
                return tuple(files)
    return ()


def _explicit_corpus(path: Path) -> tuple[Path, ...]:
    if path.is_dir():
        files = sorted(list(path.glob("*.jsonl")) + list(path.glob("*.jsonl.gz")))
        if not files:
            raise ConfigError(f"--corpus {path}: no *.jsonl or *.jsonl.gz files in this directory")
        return tuple(files)
    if not path.is_file():
        raise ConfigError(f"--corpus {path}: no such file or directory")
    return (path,)


def _task(family: str, lang: str, split: str, data_dir: Path | None, corpus: Path | None) -> RetrievalTask:
    topic_names, qrel_names = _names(family, lang, split)
    if data_dir is None:
        with _offline_hint(f"{family}/{lang}/{split}", "the Hugging Face hub",
                           f"--data-dir DIR (a folder holding {topic_names[-1]}, {qrel_names[0]} and "
                           f"{_corpus_hint(family, lang)}; e.g. ../shared/data) and/or --corpus FILE"):
            root = _hub_download(family, lang, split, topic_names, qrel_names, corpus is None)
    else:
        root = Path(data_dir)
        if not root.is_dir():
            raise ConfigError(f"--data-dir {root}: not a directory")
    topics_path, qrels_path = _find(root, topic_names), _find(root, qrel_names)
    if topics_path is None or qrels_path is None:
        missing = topic_names[0] if topics_path is None else qrel_names[0]
        raise ConfigError(f"{family}/{lang}/{split}: {missing} not found under {root}; point --data-dir at the "
                          "release files (or leave it out to download from the Hugging Face hub)")
    files = _explicit_corpus(corpus) if corpus else _corpus_files(root, family, lang)
    dataset_id = f"{family}/{lang}/{split}"
    return RetrievalTask(dataset_id, family, lang, split, read_topics(topics_path), read_qrels(qrels_path), files)


def _hub_download(family: str, lang: str, split: str, topic_names: list[str], qrel_names: list[str],
                  with_corpus: bool) -> Path:  # pragma: no cover - needs the network
    """Fetch the release files from the Hugging Face hub; return the local snapshot root."""
    from huggingface_hub import snapshot_download

    if family == "miracl":
        root = Path(snapshot_download("miracl/miracl", repo_type="dataset",
                                      allow_patterns=[f"miracl-v1.0-{lang}/*/*{lang}-{split}*"]))
        if with_corpus:
            snapshot_download("miracl/miracl-corpus", repo_type="dataset",
                              allow_patterns=[f"miracl-corpus-v1.0-{lang}/*"], local_dir=root / "corpus")
        return root
    name = LANGUAGES[lang]
    root = Path(snapshot_download("castorini/mr-tydi", repo_type="dataset",
                                  allow_patterns=[f"mrtydi-v1.1-{name}/*"]))
    if with_corpus:
        snapshot_download("castorini/mr-tydi-corpus", repo_type="dataset",
                          allow_patterns=[f"mrtydi-v1.1-{name}/*"], local_dir=root / "corpus")
    return root


def _lareqa_dir(name: str, data_dir: Path | None, langs: tuple[str, ...]) -> Path:
    if data_dir is not None:
        data_dir = Path(data_dir)
        subdirs = [name, "mlqa-dev-r"] if name == "mlqa-r" else [name]
        for cand in [data_dir, *(data_dir / s for s in subdirs), *(data_dir / "lareqa" / s for s in subdirs)]:
            if all((cand / f"{lang}.json").is_file() for lang in langs):
                return cand
        raise ConfigError(f"{name}: no directory with {', '.join(f'{lang}.json' for lang in langs)} under "
                          f"{data_dir} (looked in ., {name}/, lareqa/{name}/)")
    with _offline_hint(name, "the LAReQA GitHub release",
                       f"--data-dir DIR (a folder holding {name}/<lang>.json, e.g. ../shared/data)"):
        return _lareqa_download(name, langs)


@contextmanager
def _offline_hint(what: str, where: str, fix: str) -> Iterator[None]:
    """Turn a failed download (no network, hub unreachable) into one ConfigError line saying what to pass."""
    try:
        yield
    except OSError as exc:  # URLError, requests/httpx errors and huggingface_hub's LocalEntryNotFoundError
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"{what}: could not download it from {where} ({type(exc).__name__}: {detail}); "
                          f"offline, pass local files with {fix}") from None


def _lareqa_download(name: str, langs: tuple[str, ...]) -> Path:  # pragma: no cover - needs the network
    import urllib.request

    from huggingface_hub.constants import HF_HOME

    target = Path(HF_HOME) / "codeswitch" / name
    target.mkdir(parents=True, exist_ok=True)
    remote = "mlqa-dev-r" if name == "mlqa-r" else name
    for lang in langs:
        dest = target / f"{lang}.json"
        if not dest.is_file():
            tmp = dest.with_suffix(".part")
            urllib.request.urlretrieve(LAREQA_URL.format(name=remote, lang=lang), tmp)
            tmp.replace(dest)
    return target
