"""The Example record that joins generation, training and evaluation (DESIGN.md contract).

One JSON object per line on disk; the same columns in Parquet or a ``datasets`` directory.
:func:`example_from_dict` validates a parsed object and names the offending field.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from codeswitch.errors import DataFormatError

KINDS = ("mono", "cross", "codeswitch")
SIDES = ("query", "passage")
METHODS = ("lexicon", "alignment")
REQUIRED_FIELDS = ("id", "pair_id", "query", "passage", "query_lang", "passage_lang", "kind")


@dataclass(frozen=True, slots=True)
class Switch:
    """One replaced span.

    ``start``/``end`` are character offsets into the *output* text of ``side``, so
    ``text[start:end]`` is the replacement; ``source`` is the original text it replaced.
    """

    side: Literal["query", "passage"]
    start: int
    end: int
    source: str
    lang: str
    method: Literal["lexicon", "alignment"]


@dataclass(frozen=True, slots=True)
class Example:
    """A training record: a query, its positive passage, their languages and provenance.

    ``query_lang``/``passage_lang`` are ISO 639-1 codes where they exist (else 639-3); a
    code-switched text keeps the language of its matrix text and lists its ``switches``.
    Records sharing ``pair_id`` derive from one original pair and are never in one batch.
    """

    id: str
    pair_id: str
    query: str
    passage: str
    query_lang: str
    passage_lang: str
    kind: Literal["mono", "cross", "codeswitch"]
    switches: tuple[Switch, ...] = ()
    negatives: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict in DESIGN.md field order."""
        out = asdict(self)
        out["switches"] = [asdict(s) for s in self.switches]
        out["negatives"] = list(self.negatives)
        return out


def kind_for(query_lang: str, passage_lang: str, switched: bool) -> str:
    """The ``kind`` of a record: ``codeswitch`` if any side is switched, else mono or cross."""
    if switched:
        return "codeswitch"
    return "mono" if query_lang == passage_lang else "cross"


def example_from_dict(obj: Any, source: str = "<record>", line: int | None = None) -> Example:
    """Validate a parsed record and build an :class:`Example`.

    Raises:
        DataFormatError: naming ``source``/``line`` and the missing or mistyped field.
    """
    if not isinstance(obj, dict):
        raise DataFormatError(f"expected a JSON object, found {type(obj).__name__}", source, line)
    missing = [f for f in REQUIRED_FIELDS if f not in obj]
    if missing:
        raise DataFormatError(
            f"record lacks field(s) {', '.join(missing)}; present: {', '.join(sorted(obj)) or 'none'}. "
            "Write records with `codeswitch generate` or add the fields",
            source,
            line,
        )
    for name in REQUIRED_FIELDS:
        if not isinstance(obj[name], str) or not obj[name].strip():
            raise DataFormatError(f"field {name!r} must be a non-empty string, found {obj[name]!r}; fix or drop "
                                  "this record", source, line)
    if obj["kind"] not in KINDS:
        raise DataFormatError(f"field 'kind' must be one of {', '.join(KINDS)}, found {obj['kind']!r}", source, line)
    if "mixed" in (obj["query_lang"], obj["passage_lang"]):
        raise DataFormatError(
            "language 'mixed' is not allowed: give the matrix language and list the switches", source, line
        )
    switches = []
    for i, s in enumerate(obj.get("switches") or ()):
        try:
            switches.append(
                Switch(
                    side=s["side"], start=int(s["start"]), end=int(s["end"]),
                    source=s["source"], lang=s["lang"], method=s["method"],
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(
                f"switches[{i}] must have side, start, end, source, lang, method ({exc})", source, line
            ) from None
    negatives = obj.get("negatives") or ()
    if not isinstance(negatives, (list, tuple)) or not all(isinstance(n, str) for n in negatives):
        raise DataFormatError("field 'negatives' must be a list of strings", source, line)
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        raise DataFormatError("field 'meta' must be an object", source, line)
    return Example(
        id=obj["id"], pair_id=obj["pair_id"], query=obj["query"], passage=obj["passage"],
        query_lang=obj["query_lang"], passage_lang=obj["passage_lang"], kind=obj["kind"],
        switches=tuple(switches), negatives=tuple(negatives), meta=dict(meta),
    )
