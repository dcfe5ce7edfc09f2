"""The dataset registry: one table from an id's family to the module that loads it.

Ids: ``miracl/<lang>/<split>`` (split ``dev`` or ``train``), ``miracl/<split>`` (every language of that
split, narrowed with ``langs``), ``mrtydi/<lang>/<split>`` (``train``/``dev``/``test``), ``mrtydi/<split>``,
``xquad-r`` and ``mlqa-r`` (all their languages, or ``langs``), ``tydi/<lang>`` and ``tydi/dev``,
``afriqa/<lang>``, ``afriqa/<lang>-en``, ``afriqa/dev`` and ``afriqa/dev-en``, ``beir:PATH`` and
``irds:<id>``. The family is the part before the first ``/`` (``:`` for a prefix family, whose ids are
open-ended). Each family module (see :mod:`evaluation.collections`) declares its fixed ``IDS``, its
``FORMS``, ``NOTE``, ``TABLE_METRICS``, ``EXTRA_MEASURES``, ``parse`` and ``load``; adding a family is
one module and one entry in :data:`FAMILIES`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from codeswitch.errors import ConfigError
from evaluation.collections import afriqa, beir, irds, lareqa, miracl, mrtydi, tydi
from evaluation.collections.base import Request, Resolved, RetrievalTask, check_langs, close_matches

# id family -> its module; a family whose module has no fixed IDS is a prefix family (``beir:PATH``)
FAMILIES: dict[str, ModuleType] = {
    "miracl": miracl, "mrtydi": mrtydi, "xquad-r": lareqa, "mlqa-r": lareqa, "tydi": tydi, "beir": beir,
    "irds": irds, "afriqa": afriqa,
}
MIRACL_LANGS, MRTYDI_LANGS, LAREQA_LANGS = miracl.LANGS, mrtydi.LANGS, lareqa.LANGS
__all__ = ["FAMILIES", "Resolved", "RetrievalTask", "check_langs", "parse_id", "registry", "resolve"]


def registry() -> list[str]:
    """Every fixed dataset id the registry accepts (the click choices and the close-match list)."""
    seen: dict[str, None] = {}
    for module in FAMILIES.values():
        seen.update(dict.fromkeys(module.IDS))
    order = ("xquad-r", "mlqa-r")  # the registry's historical order: LAReQA first, then the split families
    return [*order, *(i for i in seen if i not in order)]


def _forms() -> str:
    forms: dict[str, None] = {}
    for module in FAMILIES.values():
        forms.update(dict.fromkeys(module.FORMS.split(", ")))
    return ", ".join(forms)


def family_of(dataset_id: str) -> tuple[str, ModuleType]:
    """The family of an id and its module, or a ConfigError listing close matches and the id forms."""
    norm = dataset_id.strip().lower()
    prefix = norm.split(":", 1)[0]
    if ":" in norm and prefix in FAMILIES and not FAMILIES[prefix].IDS:
        return prefix, FAMILIES[prefix]
    family = norm.split("/", 1)[0]
    module = FAMILIES.get(family)
    if module is not None and norm in module.IDS:
        return family, module
    raise ConfigError(f"unknown dataset id {dataset_id!r}{close_matches(norm, registry())} (forms: {_forms()})")


def parse_id(dataset_id: str) -> tuple[str, str | None, str | None]:
    """``(family, lang, split)`` of a dataset id, or a ConfigError listing close matches."""
    family, module = family_of(dataset_id)
    return (family, *module.parse(dataset_id.strip().lower()))


def resolve(dataset_id: str, data_dir: Path | None = None, langs: tuple[str, ...] | None = None,
            corpus: Path | None = None, titles: tuple[str, ...] | None = None, query_lang: str | None = None,
            passage_lang: str | None = None) -> Resolved:
    """Load a dataset id from ``data_dir`` (a local release folder) or, without one, from the hub.

    ``titles`` restricts XQuAD-R / MLQA-R to those articles (held-out evaluation); it is an error for
    collections without articles. ``query_lang`` / ``passage_lang`` name the languages of a ``beir:`` /
    ``irds:`` collection. See :class:`evaluation.collections.base.Request`.
    """
    _, module = family_of(dataset_id)
    return module.load(dataset_id, Request(data_dir, langs, corpus, titles, query_lang, passage_lang))
