"""BEIR-layout folders (``beir:PATH``): mono and cross-lingual, BM25 and dense, languages in every table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError, DataFormatError
from evaluation.collections.beir import load_beir, parse_beir_id
from evaluation.collections.registry import parse_id
from evaluation.trec_io import read_run


def write_beir(root: Path, queries: list[dict], corpus: list[dict], qrels: list[tuple[str, str, int]],
               split: str = "test") -> Path:
    """A BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv (with BEIR's header line)."""
    (root / "qrels").mkdir(parents=True, exist_ok=True)
    for name, rows in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        (root / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (root / "qrels" / f"{split}.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{s}\n" for q, d, s in qrels), encoding="utf-8")
    return root


def xquad_cross(shared_data: Path, root: Path, qlang: str = "de", plang: str = "en", articles: int = 2) -> Path:
    """German XQuAD questions against the English paragraphs of the first articles (a cross-lingual folder)."""
    docs = {lang: json.loads((shared_data / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
            for lang in (qlang, plang)}
    queries, corpus, qrels = [], [], []
    for a, (qa_art, p_art) in enumerate(zip(docs[qlang][:articles], docs[plang][:articles], strict=True)):
        for p, (qp, pp) in enumerate(zip(qa_art["paragraphs"], p_art["paragraphs"], strict=True)):
            corpus.append({"_id": f"a{a}p{p}", "title": p_art["title"], "text": pp["context"]})
            for qa in qp["qas"][:2]:
                queries.append({"_id": qa["id"], "text": qa["question"]})
                qrels.append((qa["id"], f"a{a}p{p}", 1))
    queries.append({"_id": "unjudged", "text": "Wer?"})  # BEIR evaluates judged queries only
    return write_beir(root, queries, corpus, qrels)


def tydi_mono(shared_data: Path, root: Path, n: int = 15) -> Path:
    """A Swahili folder from TyDi GoldP with a ``lang`` field on every line (no options needed)."""
    data = json.loads((shared_data / "tydiqa-goldp" / "swahili_tydiqa_dev.json").read_text(encoding="utf-8"))["data"]
    queries, corpus, qrels, seen = [], [], [], {}
    for art in data[: 2 * n]:
        para = art["paragraphs"][0]
        if para["context"] not in seen:
            seen[para["context"]] = f"d{len(seen)}"
            corpus.append({"_id": seen[para["context"]], "title": art["title"], "text": para["context"], "lang": "sw"})
        if len(queries) < n:
            qa = para["qas"][0]
            queries.append({"_id": qa["id"], "text": qa["question"], "lang": "sw"})
            qrels.append((qa["id"], seen[para["context"]], 1))
    return write_beir(root, queries, corpus, qrels, split="dev")


def _evaluate(args: list[str]):
    return CliRunner().invoke(main, ["evaluate", *args], catch_exceptions=False)


def _pytrec(qrels_tsv: Path, run_file: Path) -> dict[str, float]:
    import pytrec_eval

    qrels: dict[str, dict[str, int]] = {}
    for line in qrels_tsv.read_text(encoding="utf-8").splitlines()[1:]:
        q, d, s = line.split("\t")
        qrels.setdefault(q, {})[d] = int(s)
    per = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"}).evaluate(read_run(run_file))
    return {m: sum(per.get(q, {}).get(k, 0.0) for q in qrels) / len(qrels)
            for m, k in (("ndcg@10", "ndcg_cut_10"), ("recall@100", "recall_100"))}


@pytest.mark.parametrize("model", ["bm25", "dense"])
def test_cross_lingual_folder_reports_its_language_pair(shared_data, tiny_xlmr, tmp_path, model):
    folder = xquad_cross(shared_data, tmp_path / "xq-de-en")
    out = tmp_path / "out"
    ds = f"beir:{folder}"
    r = _evaluate(["--model", "bm25" if model == "bm25" else str(tiny_xlmr), "--dataset", ds, "--query-lang", "de",
                   "--passage-lang", "en", "--out", str(out)])
    assert r.exit_code == 0, r.output
    entry = json.loads((out / "metrics.json").read_text())["datasets"][ds]
    assert list(entry["per_lang"]) == ["de-en"] and entry["languages"] == {"de-en": {"query": "de", "passage": "en"}}
    m = entry["per_lang"]["de-en"]
    assert m["n_queries"] == len(json.loads("[" + ",".join(
        (folder / "queries.jsonl").read_text().splitlines()) + "]")) - 1  # the unjudged query is not evaluated
    run_file = next((out / "runs").rglob("de-en.trec"))
    ref = _pytrec(folder / "qrels" / "test.tsv", run_file)
    assert m["ndcg@10"] == pytest.approx(ref["ndcg@10"], abs=1e-9)
    assert m["recall@100"] == pytest.approx(ref["recall@100"], abs=1e-9)
    assert "| de-en | de → en |" in (out / "metrics.md").read_text()
    if model == "bm25":
        assert m["ndcg@10"] > 0.3  # names and numbers carry across de -> en


def test_lang_field_and_split(shared_data, tmp_path):
    folder = tydi_mono(shared_data, tmp_path / "sw")
    task = load_beir(f"beir:{folder}")  # the only qrels file (dev) and the lang fields
    assert (task.query_lang, task.passage_lang, task.lang, task.split) == ("sw", "sw", "sw", "dev")
    assert len(task.topics) == 15 and len(list(task.iter_corpus())) == 30
    assert parse_beir_id(f"beir:{folder}@dev") == (folder, "dev")
    assert parse_id(f"beir:{folder}") == ("beir", None, None)
    out = tmp_path / "out"
    r = _evaluate(["--model", "bm25", "--dataset", f"beir:{folder}@dev", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "| sw* | sw → sw |" in (out / "metrics.md").read_text()


def test_bad_folders_one_line_errors(shared_data, tmp_path):
    folder = xquad_cross(shared_data, tmp_path / "x")
    with pytest.raises(ConfigError, match=r"queries.jsonl: no language for the query side; pass --query-lang"):
        load_beir(f"beir:{folder}")
    with pytest.raises(ConfigError, match="qrels/dev.tsv not found; available: test"):
        load_beir(f"beir:{folder}@dev", "de", "en")
    with pytest.raises(ConfigError, match="unknown --query-lang 'xx'"):
        load_beir(f"beir:{folder}", "xx", "en")
    queries = (folder / "queries.jsonl").read_text(encoding="utf-8")
    (folder / "queries.jsonl").write_text(queries + queries.splitlines()[0] + "\n", encoding="utf-8")
    dup_line = len(queries.splitlines()) + 1
    with pytest.raises(DataFormatError, match=rf"queries.jsonl:{dup_line}: query id .* appears twice"):
        load_beir(f"beir:{folder}", "de", "en")
    (folder / "queries.jsonl").write_text(queries, encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"test.tsv:2: expected query-id<TAB>corpus-id<TAB>integer score"):
        load_beir(f"beir:{folder}", "de", "en")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", encoding="utf-8")
    (folder / "queries.jsonl").unlink()
    out = tmp_path / "out"
    r = _evaluate(["--model", "bm25", "--dataset", f"beir:{folder}", "--query-lang", "de", "--passage-lang", "en",
                   "--out", str(out)])
    assert r.exit_code == 1 and r.output.count("\n") == 1 and r.output.startswith("Error: ")
    assert "queries.jsonl not found; expected corpus.jsonl, queries.jsonl and qrels/<split>.tsv" in r.output
    assert not out.exists()
    r = _evaluate(["--model", "bm25", "--dataset", f"beir:{tmp_path / 'nope'}", "--out", str(out)])
    assert r.exit_code == 1 and "is not a directory; give a BEIR folder after beir:" in r.output
    r = _evaluate(["--model", "bm25", "--dataset", "tydi/sw", "--query-lang", "sw", "--out", str(out)])
    assert r.exit_code == 1 and r.output.count("\n") == 1 and "languages of beir:/irds: collections" in r.output


def test_beir_copy_of_tydi_gives_the_same_run(shared_data, tmp_path):
    """The same collection through beir: and tydi/ goes down one retrieval path: byte-identical BM25 runs."""
    from evaluation.collections.registry import resolve

    task = resolve("tydi/bn", shared_data).tasks[0]
    folder = write_beir(tmp_path / "bn", [{"_id": q, "text": t, "lang": "bn"} for q, t in task.topics.items()],
                        [{"_id": d, "title": ti, "text": x, "lang": "bn"} for d, ti, x in task.iter_corpus()],
                        [(q, d, g) for q, j in task.qrels.items() for d, g in j.items()])
    runs = []
    for ds in ("tydi/bn", f"beir:{folder}"):
        out = tmp_path / ds.split(":")[0].replace("/", "-")
        r = _evaluate(["--model", "bm25", "--dataset", ds, "--data-dir", str(shared_data), "--out", str(out)])
        assert r.exit_code == 0, r.output
        runs.append(next((out / "runs").rglob("bn.trec")).read_bytes())
    assert runs[0] == runs[1] and len(runs[0]) > 0


def test_bm25_tokenizes_each_side_in_its_language(monkeypatch):
    """Cross-lingual BM25: passages analysed in the passage language, queries in the query language (Thai
    queries need Thai word segmentation whatever the passages are)."""
    import evaluation.retrieval.bm25 as bm25
    import evaluation.retrieval.models as retrieve
    from evaluation.collections.base import CollectionTask

    seen: dict[str, set[str]] = {"index": set(), "query": set()}
    real = bm25.analyze

    def spy(text, lang):
        seen["query" if text.startswith("เมือง") else "index"].add(lang)
        return real(text, lang)

    monkeypatch.setattr(bm25, "analyze", spy)
    docs = [("d1", "", "Bangkok is the capital of Thailand"), ("d2", "", "Nairobi is the capital of Kenya")]
    task = CollectionTask("beir:x", "beir", "th", "en", {"q1": "เมืองหลวงของประเทศไทย Bangkok"}, {"q1": {"d1": 1}},
                          lambda: iter(docs))
    run = retrieve.BM25Model().retrieve(task, 10)
    assert seen == {"index": {"en"}, "query": {"th"}} and next(iter(run["q1"])) == "d1"
