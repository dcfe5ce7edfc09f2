"""Mr.TyDi (``mrtydi/<lang>/<train|dev|test>``, ``mrtydi/<split>`` narrowed by ``--langs``).

Release file names: ``topics.mrtydi-v1.1-<lang>.<split>.txt(.gz)``, ``qrels.mrtydi-v1.1-<lang>.<split>.txt``,
corpus ``mrtydi-v1.1-<language name>/corpus.jsonl(.gz)`` (layout: :mod:`evaluation.collections.release`).
Without ``--data-dir`` they come from the Hugging Face hub (``castorini/mr-tydi``, ``castorini/mr-tydi-corpus``).
"""

from __future__ import annotations

from pathlib import Path

from codeswitch.languages import LANGUAGES
from evaluation.collections.base import Request, Resolved
from evaluation.collections.release import ReleaseFiles, parse_split_id, resolve_release, split_ids

_LANGS = ("ar", "bn", "en", "fi", "id", "ja", "ko", "ru", "sw", "te", "th")
LANGS = {"train": _LANGS, "dev": _LANGS, "test": _LANGS}
MRTYDI_LANGS = LANGS
IDS = split_ids("mrtydi", LANGS)
FORMS = "mrtydi/<lang>/<train|dev|test>"
NOTE = None  # the note under its tables
TABLE_METRICS = ("mrr@100", "recall@100")  # the columns of compare's tables (Mr.TyDi reports MRR@100)
EXTRA_MEASURES = ("mrr@100",)  # measured besides evaluate's defaults
parse = parse_split_id


def files(lang: str, split: str) -> ReleaseFiles:
    """The release file names of one language and split."""
    return ReleaseFiles("mrtydi", lang, split,
                        (f"topics.mrtydi-v1.1-{lang}.{split}.txt.gz", f"topics.mrtydi-v1.1-{lang}.{split}.txt"),
                        (f"qrels.mrtydi-v1.1-{lang}.{split}.txt",), (f"mrtydi-v1.1-{LANGUAGES[lang]}",
                                                                     f"mrtydi-corpus-{lang}"),
                        lambda with_corpus: _download(lang, with_corpus))


def load(dataset_id: str, request: Request) -> Resolved:
    """The tasks of a Mr.TyDi id."""
    lang, split = parse(dataset_id.strip().lower())
    return resolve_release(dataset_id, lang, split, LANGS[split], request, files)


def _download(lang: str, with_corpus: bool) -> Path:  # pragma: no cover - needs the network
    from huggingface_hub import snapshot_download

    name = LANGUAGES[lang]
    root = Path(snapshot_download("castorini/mr-tydi", repo_type="dataset",
                                  allow_patterns=[f"mrtydi-v1.1-{name}/*"]))
    if with_corpus:
        snapshot_download("castorini/mr-tydi-corpus", repo_type="dataset",
                          allow_patterns=[f"mrtydi-v1.1-{name}/*"], local_dir=root / "corpus")
    return root
