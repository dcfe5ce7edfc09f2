"""MIRACL (``miracl/<lang>/<dev|train>``, ``miracl/<dev|train>`` narrowed by ``--langs``).

Release file names: ``topics.miracl-v1.0-<lang>-<split>.tsv``, ``qrels.miracl-v1.0-<lang>-<split>.tsv``,
corpus ``miracl-corpus-v1.0-<lang>/docs-*.jsonl(.gz)`` (layout: :mod:`evaluation.collections.release`).
Without ``--data-dir`` they come from the Hugging Face hub (``miracl/miracl``, ``miracl/miracl-corpus``).
"""

from __future__ import annotations

from pathlib import Path

from evaluation.collections.base import Request, Resolved
from evaluation.collections.release import ReleaseFiles, parse_split_id, resolve_release, split_ids

LANGS = {
    "dev": ("ar", "bn", "de", "en", "es", "fa", "fi", "fr", "hi", "id", "ja", "ko", "ru", "sw", "te", "th",
            "yo", "zh"),
    "train": ("ar", "bn", "en", "es", "fa", "fi", "fr", "hi", "id", "ja", "ko", "ru", "sw", "te", "th", "zh"),
}
MIRACL_LANGS = LANGS
IDS = split_ids("miracl", LANGS)
FORMS = "miracl/<lang>/<dev|train>"
NOTE = None  # the note under its tables
TABLE_METRICS = ("ndcg@10", "recall@100")  # the columns of compare's tables
EXTRA_MEASURES: tuple[str, ...] = ()  # measured besides evaluate's defaults
parse = parse_split_id


def files(lang: str, split: str) -> ReleaseFiles:
    """The release file names of one language and split."""
    return ReleaseFiles("miracl", lang, split, (f"topics.miracl-v1.0-{lang}-{split}.tsv",),
                        (f"qrels.miracl-v1.0-{lang}-{split}.tsv",), (f"miracl-corpus-v1.0-{lang}",),
                        lambda with_corpus: _download(lang, split, with_corpus))


def load(dataset_id: str, request: Request) -> Resolved:
    """The tasks of a MIRACL id."""
    lang, split = parse(dataset_id.strip().lower())
    return resolve_release(dataset_id, lang, split, LANGS[split], request, files)


def _download(lang: str, split: str, with_corpus: bool) -> Path:  # pragma: no cover - needs the network
    from huggingface_hub import snapshot_download

    root = Path(snapshot_download("miracl/miracl", repo_type="dataset",
                                  allow_patterns=[f"miracl-v1.0-{lang}/*/*{lang}-{split}*"]))
    if with_corpus:
        snapshot_download("miracl/miracl-corpus", repo_type="dataset",
                          allow_patterns=[f"miracl-corpus-v1.0-{lang}/*"], local_dir=root / "corpus")
    return root
