"""LAReQA data (``xquad-r``, ``mlqa-r``): the per-language JSON files as one candidate pool.

Layout (google-research-datasets/lareqa): one SQuAD-format ``<lang>.json`` per language whose
paragraphs carry ``sentences`` and ``sentence_breaks``. Candidates are the sentences of every
paragraph of every language, with ids ``<lang>_<paragraph#>_<sentence#>`` (paragraph numbers count
through the file). A question's relevant candidates are the sentences that contain
``answer_start``, in every language that has a question with the same ``id`` (the xling id).
Query ids are ``<lang>_<xling id>``.

Candidate text (``candidate``): ``sentence`` (default) encodes the answer sentence alone;
``sentence+context`` encodes the sentence, a space, then its whole paragraph (the sentence first, so
truncation cuts the context, never the sentence). LAReQA's and XTREME's baselines encode the pair
(sentence, context) (papers.md section 3), so only ``sentence+context`` numbers sit beside theirs.

Ids: ``xquad-r`` and ``mlqa-r`` (all their languages, or ``--langs``). Files: ``<data-dir>/<name>/<lang>.json``
(also ``<data-dir>/<lang>.json`` and ``lareqa/<name>/``; MLQA-R also ``mlqa-dev-r/``), else downloaded
once from the LAReQA GitHub release into the hub cache.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from codeswitch.errors import ConfigError, DataFormatError
from evaluation.collections.base import Request, Resolved, check_langs, offline_hint

XQUAD_R_LANGS = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
MLQA_R_LANGS = ("ar", "de", "en", "es", "hi", "vi", "zh")
LANGS = {"xquad-r": XQUAD_R_LANGS, "mlqa-r": MLQA_R_LANGS}
IDS = tuple(LANGS)
FORMS = "xquad-r, mlqa-r"
NOTE = None  # the note under its tables
TABLE_METRICS = ("mono map", "cross map", "multi map", "multi rank_distance")  # compare's tables
EXTRA_MEASURES: tuple[str, ...] = ()
LAREQA_URL = "https://raw.githubusercontent.com/google-research-datasets/lareqa/master/{name}/{lang}.json"
# Published sizes (LAReQA README) -- checked when the full language set is loaded.
XQUAD_R_QUESTIONS_PER_LANG = 1190
XQUAD_R_CANDIDATES = 13014
CANDIDATE_TEXTS = ("sentence", "sentence+context")


@dataclass(frozen=True)
class Question:
    """One question: its query id, language, xling id and text."""

    qid: str
    lang: str
    xling_id: str
    text: str


@dataclass(frozen=True)
class LareqaPool:
    """Questions and the pooled candidate sentences of several languages.

    ``answers[(lang, xling_id)]`` is the index in ``cand_ids`` of that language's answer sentence.
    """

    name: str
    langs: tuple[str, ...]
    questions: tuple[Question, ...]
    cand_ids: tuple[str, ...]
    cand_texts: tuple[str, ...]
    cand_langs: tuple[str, ...]
    answers: dict[tuple[str, str], int]
    cand_contexts: tuple[str, ...] = ()  # the paragraph of each candidate (empty if not loaded)

    def with_candidate_text(self, candidate: str) -> LareqaPool:
        """This pool with ``cand_texts`` as ``candidate`` says (see the module docstring)."""
        if candidate not in CANDIDATE_TEXTS:
            raise ConfigError(f"unknown candidate text {candidate!r}; choose one of {', '.join(CANDIDATE_TEXTS)}")
        if candidate == "sentence":
            return self
        if len(self.cand_contexts) != len(self.cand_texts):
            raise ConfigError(f"{self.name}: candidate text 'sentence+context' needs the paragraphs; "
                              "this pool was built without them")
        texts = tuple(f"{s} {c}" for s, c in zip(self.cand_texts, self.cand_contexts, strict=True))
        return replace(self, cand_texts=texts)

    def candidates_of(self, lang: str | None) -> np.ndarray:
        """Indexes of the candidates in ``lang`` (all candidates for ``None``)."""
        if lang is None:
            return np.arange(len(self.cand_ids))
        return np.array([i for i, cl in enumerate(self.cand_langs) if cl == lang], dtype=np.int64)

    def questions_of(self, lang: str) -> list[Question]:
        """The questions asked in ``lang``, in file order."""
        return [q for q in self.questions if q.lang == lang]

    def relevant(self, question: Question, cand_lang: str | None) -> list[int]:
        """Candidate indexes relevant to ``question`` within ``cand_lang`` (every language for ``None``)."""
        langs = self.langs if cand_lang is None else (cand_lang,)
        return [self.answers[(cl, question.xling_id)] for cl in langs if (cl, question.xling_id) in self.answers]


def _answer_sentence(breaks: list, start: int, path: Path, where: str) -> int:
    for i, (b, e) in enumerate(breaks):
        if b <= start < e:
            return i
    for i in range(len(breaks) - 1, -1, -1):  # answer starting in the gap after a sentence
        if breaks[i][0] <= start:
            return i
    raise DataFormatError(f"{where}: answer_start {start} lies outside every sentence_breaks span", path)


def load_lang_file(path: Path, lang: str, titles: frozenset[str] | None = None, seen_titles: set[str] | None = None
                   ) -> tuple[list[Question], list[str], list[str], dict[str, int], list[str]]:
    """Parse one LAReQA JSON file: questions, candidate ids and texts, xling id -> local answer index, contexts.

    With ``titles``, only the articles whose ``title`` is in it are kept (questions and candidates);
    paragraph numbers still count through the whole file, so candidate ids do not depend on the
    filter. The titles found are added to ``seen_titles``.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFormatError("LAReQA file not found; check --data-dir", path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(f"not valid UTF-8 JSON ({exc})", path) from None
    questions: list[Question] = []
    ids: list[str] = []
    texts: list[str] = []
    contexts: list[str] = []
    answer: dict[str, int] = {}
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise DataFormatError("expected a SQuAD-format object with a 'data' list", path)
    p_no = 0
    for a_no, article in enumerate(doc["data"]):
        keep = titles is None or article.get("title") in titles
        if keep and titles is not None and seen_titles is not None:
            seen_titles.add(article["title"])
        for paragraph in article.get("paragraphs", []):
            if not keep:
                p_no += 1
                continue
            where = f"data[{a_no}] paragraph {p_no}"
            sents, breaks = paragraph.get("sentences"), paragraph.get("sentence_breaks")
            if not isinstance(sents, list) or not isinstance(breaks, list) or len(sents) != len(breaks):
                raise DataFormatError(
                    f"{where}: needs 'sentences' and 'sentence_breaks' lists of equal length (LAReQA layout); "
                    "plain SQuAD/XQuAD files lack them", path)
            base = len(ids)
            context = paragraph.get("context")
            if not isinstance(context, str):
                context = " ".join(sents)
            for s_no, sent in enumerate(sents):
                ids.append(f"{lang}_{p_no}_{s_no}")
                texts.append(sent)
                contexts.append(context)
            for qa in paragraph.get("qas", []):
                try:
                    xid, text, start = qa["id"], qa["question"], qa["answers"][0]["answer_start"]
                except (KeyError, IndexError, TypeError):
                    raise DataFormatError(f"{where}: a question lacks id, question or answers[0].answer_start",
                                          path) from None
                if xid in answer:
                    raise DataFormatError(f"{where}: question id {xid!r} appears twice", path)
                answer[xid] = base + _answer_sentence(breaks, start, path, where)
                questions.append(Question(f"{lang}_{xid}", lang, xid, text))
            p_no += 1
    return questions, ids, texts, answer, contexts


def load_pool(name: str, directory: Path, langs: tuple[str, ...], titles: tuple[str, ...] | None = None) -> LareqaPool:
    """Load ``<directory>/<lang>.json`` for every language into one pool (in the order of ``langs``).

    ``titles`` restricts the pool to those articles (e.g. the held-out articles of a split by
    title, so nothing trained on is evaluated); a title found in no file is a ConfigError.
    """
    wanted = frozenset(titles) if titles else None
    seen: set[str] = set()
    questions: list[Question] = []
    cand_ids: list[str] = []
    cand_texts: list[str] = []
    cand_langs: list[str] = []
    cand_contexts: list[str] = []
    answers: dict[tuple[str, str], int] = {}
    for lang in langs:
        qs, ids, texts, answer, contexts = load_lang_file(Path(directory) / f"{lang}.json", lang, wanted, seen)
        offset = len(cand_ids)
        questions.extend(qs)
        cand_ids.extend(ids)
        cand_texts.extend(texts)
        cand_contexts.extend(contexts)
        cand_langs.extend([lang] * len(ids))
        answers.update({(lang, xid): offset + i for xid, i in answer.items()})
    pool = LareqaPool(name, tuple(langs), tuple(questions), tuple(cand_ids), tuple(cand_texts),
                      tuple(cand_langs), answers, tuple(cand_contexts))
    if wanted is not None:
        missing = sorted(wanted - seen)
        if missing:
            hint = _close(missing[0], _all_titles(directory, langs))
            raise ConfigError(f"{name}: {len(missing)} of {len(wanted)} titles are in no {'/'.join(langs)} file "
                              f"under {directory} (first: {missing[0]!r}{hint});"
                              " check the titles file (one article title a line, as in the JSON 'title' field)")
    elif name == "xquad-r" and tuple(langs) == XQUAD_R_LANGS:
        _check_xquad_r(pool, directory)
    return pool


def read_titles(path: Path) -> tuple[str, ...]:
    """Article titles from a text file, one a line (blank lines and ``#`` comments ignored)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{path}: titles file not found; give a text file with one article title a line") from None
    except UnicodeDecodeError:
        raise DataFormatError("titles file is not UTF-8 text", path) from None
    titles = tuple(t.strip() for t in lines if t.strip() and not t.lstrip().startswith("#"))
    if not titles:
        raise DataFormatError("titles file lists no title (one article title a line)", path)
    return titles


def _all_titles(directory: Path, langs: tuple[str, ...]) -> list[str]:
    doc = json.loads((Path(directory) / f"{langs[0]}.json").read_text(encoding="utf-8"))
    return [a.get("title", "") for a in doc.get("data", [])]


def _close(name: str, choices: list[str]) -> str:
    near = difflib.get_close_matches(name, choices, n=3)
    return f"; did you mean {', '.join(repr(c) for c in near)}?" if near else ""


def _check_xquad_r(pool: LareqaPool, directory: Path) -> None:
    for lang in pool.langs:
        n = len(pool.questions_of(lang))
        if n != XQUAD_R_QUESTIONS_PER_LANG:
            raise DataFormatError(f"XQuAD-R {lang}: {n} questions, the release has "
                                  f"{XQUAD_R_QUESTIONS_PER_LANG}; the files are incomplete or another version",
                                  directory)
    if len(pool.cand_ids) != XQUAD_R_CANDIDATES:
        raise DataFormatError(f"XQuAD-R: {len(pool.cand_ids)} candidates, the release has {XQUAD_R_CANDIDATES}",
                              directory)


# ---------------------------------------------------------------------------------------------
# the family: ids -> pool


def parse(norm: str) -> tuple[str | None, str | None]:
    """LAReQA ids name no language or split."""
    return None, None


def load(dataset_id: str, request: Request) -> Resolved:
    """The pool of ``xquad-r`` / ``mlqa-r`` (narrowed by ``--langs``, restricted to ``--titles``)."""
    family = dataset_id.strip().lower()
    chosen = check_langs(request.langs, LANGS[family], dataset_id)
    return Resolved(dataset_id, pool=load_pool(family, _lareqa_dir(family, request.data_dir, chosen), chosen,
                                               request.titles))


def _lareqa_dir(name: str, data_dir: Path | None, langs: tuple[str, ...]) -> Path:
    if data_dir is not None:
        data_dir = Path(data_dir)
        subdirs = [name, "mlqa-dev-r"] if name == "mlqa-r" else [name]
        for cand in [data_dir, *(data_dir / s for s in subdirs), *(data_dir / "lareqa" / s for s in subdirs)]:
            if all((cand / f"{lang}.json").is_file() for lang in langs):
                return cand
        raise ConfigError(f"{name}: no directory with {', '.join(f'{lang}.json' for lang in langs)} under "
                          f"{data_dir} (looked in ., {name}/, lareqa/{name}/)")
    with offline_hint(name, "the LAReQA GitHub release",
                      f"--data-dir DIR (a folder holding {name}/<lang>.json, e.g. ../shared/data)"):
        return _lareqa_download(name, langs)


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
