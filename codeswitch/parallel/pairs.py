"""Monolingual and cross-lingual training pairs from parallel (translated) QA data.

Items that are translations of each other are grouped by a shared id: the question ``id`` of
SQuAD-format files (XQuAD, LAReQA's XQuAD-R / MLQA-R), a ``pair_id`` column of long-format JSONL,
or the same column of a Hugging Face dataset with a language column. For every item
:func:`build_pairs` emits monolingual pairs ``(q_l, p_l)`` and cross-lingual pairs ``(q_l, p_m)``,
``l != m`` (all ordered pairs, or a seeded sample per item); all records of an item share its
``pair_id``. The passage is the paragraph or the answer-bearing sentence.

Conventions: record ids are ``{pair_id}/{query_lang}-{passage_lang}``; items are kept in order of
first appearance (file order, then position in file); a language missing for an item just
removes the pairs that need it, and :class:`PairStats` counts what was missing where.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.languages import LANGUAGES, check_lang
from codeswitch.records import Example

PAIR_MODES = ("all", "mono", "cross")
PASSAGE_UNITS = ("paragraph", "sentence")

# Sentence ends for SQuAD files without LAReQA ``sentence_breaks``: ., !, ?, Devanagari danda,
# Arabic question mark, CJK full stops; for CJK no space is needed after the mark.
_SENT_END = re.compile(r"(?<=[.!?।؟])\s+|(?<=[。！？])")
_LANG_IN_NAME = re.compile(r"(?<![a-z])([a-z]{2,3})(?![a-z])")


@dataclass(frozen=True, slots=True)
class ItemText:
    """One language version of an item: the question, its paragraph and its answer-bearing sentence."""

    query: str
    paragraph: str
    sentence: str
    sentence_start: int = 0

    def passage(self, unit: str) -> str:
        """The passage for ``unit`` (``paragraph`` or ``sentence``)."""
        return self.paragraph if unit == "paragraph" else self.sentence


@dataclass(frozen=True, slots=True)
class ParallelItem:
    """An item available in several languages, keyed by language code."""

    pair_id: str
    title: str
    texts: dict[str, ItemText]


@dataclass
class PairStats:
    """What pair building read and wrote; ``missing`` counts items lacking each language."""

    items: int = 0
    languages: list[str] = field(default_factory=list)
    present: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    split: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "items": self.items, "languages": self.languages, "present": self.present,
            "missing": self.missing, "records": self.records, "split": self.split,
        }


# --------------------------------------------------------------------------- reading


def parse_lang_path(spec: str) -> tuple[str | None, Path]:
    """Split ``[LANG=]PATH``; the language is None when not given explicitly."""
    if "=" in spec and not Path(spec).exists():
        lang, _, path = spec.partition("=")
        return check_lang(lang), Path(path)
    return None, Path(spec)


def lang_from_name(path: Path) -> str:
    """The language implied by a file name (``xquad.de.json``, ``de.json``, ``mlqa-de.jsonl``, ``corpus.de``).

    The last 2-3 letter part of the name that is a known ISO code wins.

    Raises:
        ConfigError: when no known ISO code is found, saying how to name the language.
    """
    name = path.name.lower()
    for stem_part in reversed(_LANG_IN_NAME.findall(name)):
        if stem_part in LANGUAGES:
            return stem_part
    raise ConfigError(
        f"{path}: cannot tell the language from the file name; name it like xquad.de.json or pass LANG=PATH "
        f"(e.g. de={path}); supported ISO codes: {', '.join(sorted(LANGUAGES))}"
    )


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (rule-based: ., !, ?, danda, CJK stops)."""
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        end = m.start()
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans or [(0, len(text))]


def _answer_sentence(para: dict[str, Any], context: str, qa: dict[str, Any]) -> tuple[str, int]:
    breaks = para.get("sentence_breaks")
    spans = [tuple(b) for b in breaks] if breaks else split_sentences(context)
    answers = qa.get("answers") or []
    pos = answers[0].get("answer_start", -1) if answers else -1
    if (pos is None or pos < 0) and answers and answers[0].get("text"):
        pos = context.find(answers[0]["text"])
    if pos is None or pos < 0:
        return context, 0
    chosen = spans[-1]
    for s, e in spans:
        if s <= pos < e:
            chosen = (s, e)
            break
    s, e = chosen
    while s < e and context[s].isspace():
        s += 1
    while e > s and context[e - 1].isspace():
        e -= 1
    return context[s:e], s


def read_squad_language(path: Path, lang: str) -> Iterator[tuple[str, str, ItemText]]:
    """Yield ``(id, title, ItemText)`` per question of one SQuAD-format file (XQuAD, LAReQA).

    Raises:
        DataFormatError: on unreadable JSON, a missing field, an empty question or context, or a
            question ``id`` repeated within the file.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(f"cannot read SQuAD JSON ({exc}); pass a SQuAD/XQuAD/LAReQA .json file", path) from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DataFormatError("expected SQuAD JSON with a top-level 'data' list; pass a SQuAD/XQuAD/LAReQA file", path)
    seen: set[str] = set()
    for a, article in enumerate(data["data"]):
        title = str(article.get("title", f"article-{a}"))
        for p, para in enumerate(article.get("paragraphs", [])):
            context = para.get("context")
            where = f"data[{a}].paragraphs[{p}]"
            if not isinstance(context, str) or not context.strip():
                raise DataFormatError(
                    f"{where}: field 'context' is empty or missing in {lang}; texts must have tokens — fix or drop "
                    "the paragraph", path,
                )
            breaks = para.get("sentence_breaks")
            if breaks is not None and "sentences" in para and len(breaks) != len(para["sentences"]):
                raise DataFormatError(
                    f"{where}: {len(para['sentences'])} 'sentences' but {len(breaks)} 'sentence_breaks'; the counts "
                    "must match (regenerate the LAReQA file)", path,
                )
            for qa in para.get("qas", []):
                qid = qa.get("id")
                if not isinstance(qid, str) or not qid:
                    raise DataFormatError(f"{where}: a question lacks field 'id'; give every question an id", path)
                if qid in seen:
                    raise DataFormatError(
                        f"field 'id': question id {qid!r} appears twice in language {lang}; ids must be unique per "
                        "language — remove the duplicate or give it its own id", path,
                    )
                seen.add(qid)
                question = qa.get("question")
                if not isinstance(question, str) or not question.strip():
                    raise DataFormatError(
                        f"field 'question' of id {qid!r} is empty in {lang}; texts must have tokens — fix or drop it",
                        path,
                    )
                sentence, start = _answer_sentence(para, context, qa)
                yield qid, title, ItemText(question.strip(), context, sentence, start)


def read_jsonl_language_rows(
    rows: Iterable[tuple[int, Any]],
    source: str,
    id_field: str = "pair_id",
    lang_field: str = "lang",
    query_field: str = "query",
    passage_field: str = "passage",
    sentence_field: str = "sentence",
    title_field: str = "title",
    default_lang: str | None = None,
) -> Iterator[tuple[str, str, str, ItemText]]:
    """Yield ``(lang, id, title, ItemText)`` from long-format rows (one row per item and language).

    Raises:
        DataFormatError: naming the row and field that is missing or empty.
    """
    for row, obj in rows:
        if not isinstance(obj, dict):
            raise DataFormatError(f"expected a JSON object, found {type(obj).__name__}", source, row)
        for name in (id_field, query_field, passage_field):
            if not isinstance(obj.get(name), str) or not obj[name].strip():
                raise DataFormatError(
                    f"field {name!r} is missing or empty; every row needs {id_field}, {query_field}, {passage_field} "
                    "(rename columns with the --*-field options)", source, row,
                )
        raw_lang = obj.get(lang_field, default_lang)
        if not isinstance(raw_lang, str) or not raw_lang:
            raise DataFormatError(
                f"field {lang_field!r} is missing; add a language column or name the file LANG=PATH", source, row
            )
        try:
            lang = check_lang(raw_lang)
        except ConfigError as exc:
            raise DataFormatError(f"field {lang_field!r}: {exc}", source, row) from None
        passage = obj[passage_field]
        sentence = obj.get(sentence_field) or passage
        start = max(passage.find(sentence), 0)
        yield lang, obj[id_field], str(obj.get(title_field) or ""), ItemText(
            obj[query_field].strip(), passage, sentence, start
        )


def _rows_of(path: Path) -> Iterator[tuple[int, Any]]:
    from codeswitch.example_io import iter_json_lines

    if path.is_dir():
        import datasets

        ds = datasets.load_from_disk(str(path))
        yield from enumerate(ds, start=1)
    elif path.suffix == ".parquet":
        import pyarrow.parquet as pq

        row = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
            for obj in batch.to_pylist():
                row += 1
                yield row, obj
    else:
        yield from iter_json_lines(path)


TSV_ID_COLUMNS = ("index_id", "id")
TSV_TEXT_COLUMN = "text"


def read_tsv_rows(path: Path) -> tuple[str, dict[str, tuple[int, str]]]:
    """``(id column, {id: (line, text)})`` of a parallel TSV, in file order.

    See :func:`codeswitch.parallel.bitext.read_tsv_pairs` for the format and the errors.
    """
    from codeswitch.example_io import utf8_lines

    lines = utf8_lines(path)
    first = next(lines, None)
    header = first[1].split("\t") if first else []
    id_col = next((c for c in TSV_ID_COLUMNS if c in header), None)
    if id_col is None or TSV_TEXT_COLUMN not in header:
        found = ", ".join(repr(h) for h in header) if header else "an empty file"
        raise DataFormatError(
            f"expected a header line with an index_id (or id) column and a text column, found {found}; "
            "a parallel TSV needs both (FLORES/SIB-200: index_id<TAB>category<TAB>text)", path, 1,
        )
    i_id, i_text = header.index(id_col), header.index(TSV_TEXT_COLUMN)
    rows: dict[str, tuple[int, str]] = {}
    for n, line in lines:
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            raise DataFormatError(
                f"expected {len(header)} tab-separated fields ({', '.join(header)}), found {len(fields)}; "
                "fix the row (a tab inside a text must be removed)", path, n,
            )
        key = fields[i_id].strip()
        if not key:
            raise DataFormatError(f"empty {id_col}; every row needs the id that pairs it with its translation",
                                  path, n)
        if key in rows:
            raise DataFormatError(f"{id_col} {key!r} repeats line {rows[key][0]}; ids must be unique — drop the "
                                  "duplicate row", path, n)
        rows[key] = (n, fields[i_text])
    if not rows:
        raise DataFormatError("no rows after the header; pass a TSV with one sentence per row", path)
    return id_col, rows


def read_tsv_sentences(path: Path) -> Iterator[tuple[str, str]]:
    """``(index_id, text)`` of a parallel sentence TSV (FLORES via SIB-200), in file order.

    Each sentence is its own item: query, paragraph and sentence are the same text, so
    ``build_pairs(mode="cross")`` yields translation pairs (query in one language, passage in another).

    Raises:
        DataFormatError: naming file and line for a missing column, a wrong field count, an empty or
            repeated id (see :func:`codeswitch.parallel.bitext.read_tsv_pairs`) or an empty text.
    """
    _, rows = read_tsv_rows(path)
    for pid, (line, text) in rows.items():
        if not text.strip():
            raise DataFormatError("field 'text' is empty; every row needs its sentence — fill it or drop the row",
                                  path, line)
        yield pid, text.strip()


def read_parallel(
    specs: Sequence[str],
    langs: Sequence[str] | None = None,
    **fields: str,
) -> list[ParallelItem]:
    """Read translated QA files and group them into items by their shared id.

    Args:
        specs: ``[LANG=]PATH`` entries. ``*.json`` files are SQuAD format (one language per file;
            language from ``LANG=`` or the file name); ``*.jsonl``/``*.parquet`` files and
            ``save_to_disk`` directories are long format with a language column (or one language
            given by ``LANG=``); ``*.tsv`` files are parallel sentences (``index_id`` and ``text``
            columns, one language per file, see :func:`read_tsv_sentences`); ``hub:ID`` loads a
            Hugging Face dataset (``train`` split).
        langs: keep only these languages (default: all read).
        **fields: column names for long-format input (``id_field``, ``lang_field``, ...).

    Raises:
        DataFormatError / ConfigError: duplicated ids within a language, unknown languages, empty
            texts, the same language given twice in SQuAD files.
    """
    keep = {check_lang(x) for x in langs} if langs else None
    order: dict[str, ParallelItem] = {}
    seen_lang_file: dict[str, Path] = {}
    for spec in specs:
        lang, path = parse_lang_path(spec)
        if spec.startswith("hub:"):
            import datasets

            ds = datasets.load_dataset(spec[4:], split="train")
            rows = read_jsonl_language_rows(enumerate(ds, start=1), spec, default_lang=lang, **fields)
            _add_rows(order, rows, spec, keep)
            continue
        if not path.exists():
            raise DataFormatError("no such file or directory; check the input path", path)
        if path.suffix == ".tsv":
            lang = lang or lang_from_name(path)
            if keep is not None and lang not in keep:
                continue
            for pid, text in read_tsv_sentences(path):
                _add(order, lang, pid, "", ItemText(text, text, text), path)
        elif path.suffix == ".json":
            lang = lang or lang_from_name(path)
            if lang in seen_lang_file:
                raise ConfigError(
                    f"{path}: language {lang} was already read from {seen_lang_file[lang]}; give each language once"
                )
            seen_lang_file[lang] = path
            if keep is not None and lang not in keep:
                continue
            for qid, title, text in read_squad_language(path, lang):
                _add(order, lang, qid, title, text, path)
        else:
            rows = read_jsonl_language_rows(_rows_of(path), str(path), default_lang=lang, **fields)
            _add_rows(order, rows, str(path), keep)
    return list(order.values())


def _add_rows(order: dict[str, ParallelItem], rows, source: str, keep: set[str] | None) -> None:
    for lang, pid, title, text in rows:
        if keep is None or lang in keep:
            _add(order, lang, pid, title, text, source)


def _add(order: dict[str, ParallelItem], lang: str, pid: str, title: str, text: ItemText, source) -> None:
    item = order.get(pid)
    if item is None:
        order[pid] = ParallelItem(pid, title, {lang: text})
        return
    if lang in item.texts:
        raise DataFormatError(
            f"field 'id': id {pid!r} appears twice in language {lang}; ids must be unique per language — remove "
            "the duplicate or give it its own id", source,
        )
    item.texts[lang] = text


# --------------------------------------------------------------------------- splitting


def split_by_title(items: Sequence[ParallelItem], held_out: float = 0.2, seed: int = 0) -> dict[str, str]:
    """Assign whole articles to ``train`` or ``heldout`` (seeded), so no article is in both.

    ``held_out`` is a fraction (0 < x < 1) or a number of titles (>= 1). Titles are sorted, then
    shuffled with ``random.Random(seed)``; the first ones are held out.

    Returns:
        title -> ``train`` | ``heldout``.
    """
    titles = sorted({it.title for it in items})
    if held_out <= 0:
        raise ConfigError(f"--held-out must be > 0, found {held_out}")
    n = int(held_out) if held_out >= 1 else max(1, round(held_out * len(titles)))
    if n >= len(titles):
        raise ConfigError(f"--held-out {held_out} leaves no training articles out of {len(titles)}; lower it")
    random.Random(seed).shuffle(titles)
    held = set(titles[:n])
    return {t: ("heldout" if t in held else "train") for t in sorted(titles)}


# --------------------------------------------------------------------------- pairs


def item_rng(seed: int, pair_id: str, salt: str = "") -> random.Random:
    """A per-item RNG derived from ``(seed, pair_id, salt)``: independent of order and workers."""
    digest = hashlib.blake2b(f"{seed}\x1f{pair_id}\x1f{salt}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def language_pairs(langs: Sequence[str], mode: str, pivot: str | None = None,
                   passage_langs: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """Ordered ``(query_lang, passage_lang)`` pairs for ``mode`` (mono first, then cross).

    ``pivot`` keeps only the pairs with that language on one side (or both): ``en`` with
    ``cross`` gives x -> en and en -> x, no pair between two other languages. ``passage_langs``
    keeps only the pairs whose passage is in one of them: with ``cross``, pivot ``en`` and
    passage language ``en``, x -> en alone (queries in x, passages English, as in AfriQA or CIRAL).
    """
    if mode not in PAIR_MODES:
        raise ConfigError(f"--pairs must be one of {', '.join(PAIR_MODES)}, found {mode!r}")
    if pivot is not None and pivot not in langs:
        raise ConfigError(f"pivot language {pivot!r} is not among the languages read ({', '.join(langs)}); "
                          "add its file or choose one of those")
    for lang in passage_langs or ():
        if lang not in langs:
            raise ConfigError(f"passage language {lang!r} is not among the languages read ({', '.join(langs)}); "
                              "add its file or choose among those")
    out = []
    if mode in ("all", "mono"):
        out += [(lang, lang) for lang in langs]
    if mode in ("all", "cross"):
        out += [(a, b) for a in langs for b in langs if a != b]
    out = [c for c in out if pivot in c] if pivot is not None else out
    return [c for c in out if c[1] in passage_langs] if passage_langs else out


def build_pairs(
    items: Iterable[ParallelItem],
    mode: Literal["all", "mono", "cross"] = "all",
    passage: Literal["paragraph", "sentence"] = "paragraph",
    langs: Sequence[str] | None = None,
    per_item: int | None = None,
    seed: int = 0,
    split: dict[str, str] | None = None,
    keep_split: str | None = None,
    stats: PairStats | None = None,
    source: str = "parallel",
    pivot: str | None = None,
    passage_langs: Sequence[str] | None = None,
) -> Iterator[Example]:
    """Yield mono/cross-lingual :class:`Example` records for each item.

    Args:
        items: grouped items (see :func:`read_parallel`).
        mode: ``all`` (mono + cross), ``mono`` or ``cross``.
        passage: ``paragraph`` or the answer-bearing ``sentence``.
        langs: languages to use (default: every language seen, sorted).
        per_item: sample this many language pairs per item (seeded per ``pair_id``); None = all.
        seed: sampling seed.
        split: title -> split name (from :func:`split_by_title`); stored in ``meta.split``.
        keep_split: emit only items of this split (``train``/``heldout``); None keeps both.
        stats: filled in while iterating.
        source: stored as ``meta.source``.
        pivot: keep only the language pairs with this language on one side (see :func:`language_pairs`).
        passage_langs: keep only the language pairs whose passage is in one of these (see :func:`language_pairs`).
    """
    if passage not in PASSAGE_UNITS:
        raise ConfigError(f"--passage must be one of {', '.join(PASSAGE_UNITS)}, found {passage!r}")
    if per_item is not None and per_item < 1:
        raise ConfigError(f"pairs per item must be >= 1, found {per_item}")
    items = list(items)
    use = sorted({check_lang(x) for x in langs}) if langs else sorted({lg for it in items for lg in it.texts})
    combos = language_pairs(use, mode, check_lang(pivot) if pivot else None,
                            [check_lang(x) for x in passage_langs] if passage_langs else None)
    st = stats if stats is not None else PairStats()
    st.languages = list(use)
    present: Counter[str] = Counter()
    records: Counter[str] = Counter()
    for item in items:
        item_split = split.get(item.title, "train") if split is not None else None
        if keep_split is not None and item_split != keep_split:
            continue
        st.items += 1
        present.update(lg for lg in use if lg in item.texts)
        avail = [(q, p) for q, p in combos if q in item.texts and p in item.texts]
        if per_item is not None and per_item < len(avail):
            picked = set(item_rng(seed, item.pair_id, "pairs").sample(range(len(avail)), per_item))
            avail = [c for i, c in enumerate(avail) if i in picked]
        for q, p in avail:
            kind = "mono" if q == p else "cross"
            records[kind] += 1
            meta: dict[str, Any] = {"source": source, "title": item.title, "passage_unit": passage}
            if item_split is not None:
                meta["split"] = item_split
            yield Example(
                id=f"{item.pair_id}/{q}-{p}", pair_id=item.pair_id, query=item.texts[q].query,
                passage=item.texts[p].passage(passage), query_lang=q, passage_lang=p, kind=kind, meta=meta,
            )
    st.present = {lg: present[lg] for lg in use}
    st.missing = {lg: st.items - present[lg] for lg in use}
    st.records = dict(records)
    if split is not None:
        st.split = {
            "by": "title", "train_titles": sum(v == "train" for v in split.values()),
            "heldout_titles": sum(v == "heldout" for v in split.values()), "kept": keep_split or "both",
            "heldout": sorted(t for t, v in split.items() if v == "heldout"),
        }
