"""Table-driven bad inputs and faults for every command (issue 12).

Each case runs one command in-process (click's CliRunner) on a malformed file, a wrong encoding, a
wrong type or an out-of-range option, and asserts what a user needs: a non-zero exit status, no
traceback, exactly one ``Error:`` line that names the file / line / option in question, and nothing
left behind (no new file in the case's folder, no scratch folder in the system temp folder).

Most cases fail before any model loads; the few that need a model use ``bm25`` or the ``tiny_xlmr``
fixture (``{tiny}``). Placeholders: ``{d}`` the case's folder (inputs are made there by
:func:`_make_inputs`), ``{data}`` the real data folder, ``{tiny}`` the tiny XLM-R model.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from codeswitch.cli import main

SQUAD = "{data}/squad/squad-v2.0-dev.first5articles.json"
MUSE = "{data}/muse-full/en-de.txt"
XQ_EN, XQ_DE = "{data}/xquad/xquad.en.json", "{data}/xquad/xquad.de.json"
GEN = ["generate", "{d}/pairs.jsonl", "--lexicon", "{d}/en-de.txt", "--out", "{o}/o.jsonl", "-q"]
GEN_SQUAD = ["generate", SQUAD, "--lexicon", MUSE, "--out", "{o}/o.jsonl", "-q"]
STATS = ["lexicon", "stats"]
INDUCE = ["lexicon", "induce", "{d}/aligned", "--out", "{o}/lex.txt"]
ALIGN = ["align", "{d}/en.txt", "{d}/de.txt", "--out", "{o}/al", "--no-progress", "--prior-sentences", "0"]
ALIGN2 = [*ALIGN[:2], "{d}/de2.txt", *ALIGN[3:]]  # two good parallel files
TRAIN = ["train", "--data", "{d}/train.jsonl", "--model", "{d}/no-model", "--out", "{o}/m"]
TRAIN_TINY = ["train", "--model", "{tiny}", "--out", "{o}/m", "--max-steps", "1", "--batch-size", "2",
              "--device", "cpu"]
EVAL = ["evaluate", "--model", "bm25", "--dataset", "miracl/sw/dev", "--data-dir", "{data}", "--out", "{o}/ev"]
COMPARE = ["compare", "--model", "bm25", "--dataset", "miracl/sw/dev", "--data-dir", "{data}", "--out", "{o}/cmp"]
MINE = ["mine-negatives", "{d}/train.jsonl", "--model", "{d}/no-model", "--out", "{o}/hn.jsonl"]
RECIPE = ["recipe", "run"]
CELLS = ["recipe", "copy-cells"]
TRAIN_REAL = [*TRAIN_TINY, "--data", "{d}/train.jsonl", "--batching", "mono"]  # trains (and exits 0) when allowed


def BEIR(name: str, *extra: str) -> list[str]:  # noqa: N802 - reads like the other argv constants
    return ["evaluate", "--model", "bm25", "--dataset", f"beir:{{d}}/beir-{name}", "--query-lang", "en",
            "--passage-lang", "en", "--out", "{o}/ev", *extra]


def _squad(qas=True, **paragraph) -> str:
    para = {"context": "The red house is big.", **paragraph}
    if qas:
        para.setdefault("qas", [{"id": "q1", "question": "Which house?", "is_impossible": False,
                                 "answers": [{"text": "red", "answer_start": 4}]}])
    return json.dumps({"version": "v2.0", "data": [{"title": "T", "paragraphs": [para]}]}, ensure_ascii=False)


GOOD_ROW = {"id": "a", "query": "red house", "passage": "the red house is big"}
RECORD = {"id": "a", "pair_id": "a", "query": "red house", "passage": "the red house", "query_lang": "en",
          "passage_lang": "en", "kind": "mono", "switches": [], "negatives": [], "meta": {}}


def _jsonl(*rows) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


BEIR_CORPUS = _jsonl({"_id": "d1", "title": "", "text": "the red house"}, {"_id": "d2", "title": "", "text": "a dog"})
BEIR_QUERIES = _jsonl({"_id": "q1", "text": "red house"}, {"_id": "q2", "text": "dog"})
BEIR_QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n"
# issue 23: BEIR folders with nothing to evaluate, ids TREC cannot hold, null texts and wrong encodings
BEIR_BAD = {
    "good": {},
    "header-only": {"qrels": "query-id\tcorpus-id\tscore\n"},
    "all-zero": {"qrels": "query-id\tcorpus-id\tscore\nq1\td1\t0\nq2\td2\t0\n"},
    "empty-corpus": {"corpus": ""},
    "null-query": {"queries": _jsonl({"_id": "q1", "text": "red house"}, {"_id": "q2", "text": None})},
    "null-passage": {"corpus": _jsonl({"_id": "d1", "text": "the red house"}, {"_id": "d2", "text": None})},
    "space-qid": {"queries": _jsonl({"_id": "q 1", "text": "red house"}, {"_id": "q2", "text": "dog"}),
                  "qrels": "query-id\tcorpus-id\tscore\nq 1\td1\t1\nq2\td2\t1\n"},
    "space-docid": {"corpus": BEIR_CORPUS + _jsonl({"_id": "d 3", "text": "unjudged"})},
    "latin1-corpus": {"corpus": '{"_id": "d1", "text": "caf\xe9"}\n'.encode("latin-1")},
    "latin1-queries": {"queries": '{"_id": "q1", "text": "caf\xe9"}\n{"_id": "q2", "text": "dog"}\n'.encode("latin-1")},
    "latin1-qrels": {"qrels": "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td\xe92\t1\n".encode("latin-1")},
    "utf16-queries": {"queries": BEIR_QUERIES.encode("utf-16")},
    "utf16-corpus": {"corpus": BEIR_CORPUS.encode("utf-16")},
}


def _beir(root: Path, corpus=BEIR_CORPUS, queries=BEIR_QUERIES, qrels=BEIR_QRELS) -> None:
    (root / "qrels").mkdir(parents=True)
    for path, body in ((root / "corpus.jsonl", corpus), (root / "queries.jsonl", queries),
                       (root / "qrels" / "test.tsv", qrels)):
        path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))


def _make_inputs(d: Path) -> None:
    """The malformed (and a few good) input files the cases refer to."""
    text = {
        "pairs.jsonl": _jsonl(GOOD_ROW, {**GOOD_ROW, "id": "b"}),
        "en-de.txt": "house Haus\nred rot\n",
        "empty.jsonl": "", "blank.jsonl": "\n\n  \n",
        "dup.jsonl": _jsonl(GOOD_ROW, GOOD_ROW),
        "noquery.jsonl": _jsonl({"id": "a", "question": "x", "passage": "y"}),
        "emptyq.jsonl": _jsonl({**GOOD_ROW, "query": ""}, {**GOOD_ROW, "id": "b", "passage": "  "}),
        "badjson.jsonl": _jsonl(GOOD_ROW) + "{not json\n",
        "late-bad.jsonl": _jsonl(*(dict(GOOD_ROW, id=f"r{i}") for i in range(700))) + "{not json\n",
        "array.jsonl": "[1, 2]\n",
        "numquery.jsonl": _jsonl({**GOOD_ROW, "query": 5}),
        "nullpassage.jsonl": _jsonl({**GOOD_ROW, "passage": None}),
        "empty.json": "", "badjson.json": "{\"data\": [", "list.json": "[1, 2, 3]\n",
        "nodata.json": json.dumps({"version": "1"}), "noqas.json": _squad(qas=False),
        "emptyctx.json": _squad(context=""), "dataint.json": json.dumps({"data": 5}),
        "paraint.json": json.dumps({"data": [{"title": "T", "paragraphs": 3}]}),
        "empty.csv": "", "headeronly.csv": "id,query,passage\n", "nocol.csv": "id,question\n1,x\n",
        "pairs.txt": "a b\n", "pairs.tsv": "a\tb\n",
        "fl.en.tsv": "index_id\tcategory\ttext\n1\tx\tThe red house.\n2\tx\tIt is big.\n",
        "fl-emptytext.de.tsv": "index_id\tcategory\ttext\n1\tx\tDas rote Haus.\n2\tx\t \n",
        "fl-notext.de.tsv": "index_id\tsentence\n1\tDas rote Haus.\n",
        "triples.train.tsv": "q\tp\n", "queries.train.tsv": "1 no tab\n", "collection.tsv": "1\tp\n",
        "qrels.train.tsv": "1 0 1\n",
        "empty-lex.txt": "", "onecol.en-de.txt": "house\n", "blank-en-de.txt": "\n\n",
        "toomany.en-de.txt": "a\tb\tnot-a-count\tx\n",
        "nolang.txt": "house Haus\n", "en-xx.txt": "house Haus\n",
        "en.txt": "the red house\nis big\n", "de.txt": "das rote Haus\n", "de2.txt": "das rote Haus\nist groß\n",
        "empty-en.txt": "", "empty-de.txt": "",
        "gold-en-de.txt": "house Haus\n", "gold-bad.txt": "house\n",
        "train.jsonl": _jsonl(*({**RECORD, "id": f"r{i}", "pair_id": f"r{i}"} for i in range(4))),
        "rec-missing.jsonl": _jsonl({k: v for k, v in RECORD.items() if k != "passage_lang"}),
        "rec-kind.jsonl": _jsonl({**RECORD, "kind": "weird"}),
        "rec-mixed.jsonl": _jsonl({**RECORD, "query_lang": "mixed"}),
        "rec-emptyq.jsonl": _jsonl({**RECORD, "query": ""}),
        "rec-emptyp.jsonl": _jsonl({**RECORD, "passage": " "}),
        "rec-switch.jsonl": _jsonl({**RECORD, "switches": [{"side": "query"}]}),
        "rec-negs.jsonl": _jsonl({**RECORD, "negatives": "x"}),
        "rec-meta.jsonl": _jsonl({**RECORD, "meta": [1]}),
        "rec-badjson.jsonl": _jsonl(RECORD) + "{\n",
        "rec-empty.jsonl": "",
        "titles-empty.txt": "",
        "recipe-bad.yaml": "name: [unclosed\n", "recipe-list.yaml": "- 1\n- 2\n",
        "recipe-empty.yaml": "", "recipe-nomodels.yaml": "name: x\ndata: {}\n",
        "recipe-ok.yaml": "name: ok\nmodels: {m: {path: some/model}}\nsettings: {off-the-shelf: {}}\nseeds: [1]\n"
                          "eval: {dataset: xquad-r}\n",
        "recipe-soup-one-seed.yaml": "name: s\nmodels: {m: {path: some/model}}\ndata: {en: {generate: [x]}}\n"
                                     "settings: {tuned: {data: en}, tuned-soup: {soup: tuned}}\nseeds: [1]\n"
                                     "eval: {dataset: xquad-r}\n",
        "recipe-soup-unknown.yaml": "name: s\nmodels: {m: {path: some/model}}\n"
                                    "settings: {off-the-shelf: {}, s: {soup: nope}}\nseeds: [1, 2]\n"
                                    "eval: {dataset: xquad-r}\n",
        "recipe-soup-twice.yaml": "name: s\nmodels: {m: {path: some/model}}\ndata: {en: {generate: [x]}}\n"
                                  "settings: {tuned: {data: en}, s: {soup: [tuned, tuned]}}\nseeds: [1]\n"
                                  "eval: {dataset: xquad-r}\n",
        "expected-bad.yaml": "miracl: [\n",
        "a-file": "not a folder\n",
    }
    for name, body in text.items():
        (d / name).write_text(body, encoding="utf-8")
    binary = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8  # not UTF-8 from the first byte on
    for name in ("binary.jsonl", "binary.json", "binary.csv", "binary-en-de.txt", "binary.bin", "binary-gold.txt",
                 "binary.parquet", "binary-en.txt", "rec-binary.jsonl", "binary.yaml"):
        (d / name).write_bytes(binary)
    (d / "latin1.jsonl").write_bytes(json.dumps({**GOOD_ROW, "query": "café"}, ensure_ascii=False).encode("latin-1")
                                     + b"\n")
    (d / "utf16.jsonl").write_bytes(_jsonl(GOOD_ROW).encode("utf-16"))
    (d / "latin1.json").write_bytes(_squad(context="Caf\xe9 red house").encode("latin-1"))
    (d / "latin1-en-de.txt").write_bytes("caf\xe9 Kaffee\n".encode("latin-1"))
    (d / "utf16-en-de.txt").write_bytes("house Haus\n".encode("utf-16"))
    (d / "latin1-de.txt").write_bytes("gro\xdf\n".encode("latin-1"))
    (d / "rec-latin1.jsonl").write_bytes(json.dumps({**RECORD, "query": "café"}, ensure_ascii=False)
                                         .encode("latin-1") + b"\n")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist([GOOD_ROW] * 50), d / "good.parquet")
    raw = (d / "good.parquet").read_bytes()
    (d / "truncated.parquet").write_bytes(raw[: len(raw) // 2])
    (d / "empty.parquet").write_bytes(b"")
    pq.write_table(pa.Table.from_pylist([{"a": 1}]), d / "nocols.parquet")
    pq.write_table(pa.Table.from_pylist([{**RECORD, "query": 3}]).drop_columns(["switches", "negatives", "meta"]),
                   d / "rec-types.parquet")
    (d / "rec-corrupt.parquet").write_bytes(raw[: len(raw) // 3])
    for name in ("aligned", "empty-dir", "a-dir.jsonl"):
        (d / name).mkdir()
    (d / "aligned" / "pairs.jsonl").write_bytes(binary)
    for sym in ("forward", "reverse", "intersect", "grow-diag-final-and"):
        (d / "aligned" / f"{sym}.align").write_text("0-0\n", encoding="utf-8")
    pair = {"id": "1", "src_lang": "en", "tgt_lang": "de", "src": "the house", "tgt": "das Haus"}
    for name, rows in {"aligned-number": [pair, {**pair, "id": "2", "tgt": 7}],
                       "aligned-mixed": [pair, {**pair, "id": "2", "tgt_lang": "fr"}]}.items():
        (d / name).mkdir()
        (d / name / "pairs.jsonl").write_text(_jsonl(*rows), encoding="utf-8")
        (d / name / "grow-diag-final-and.align").write_text("0-0 1-1\n0-0\n", encoding="utf-8")
    (d / "results").mkdir()
    for name, files in BEIR_BAD.items():
        _beir(d / f"beir-{name}", **files)
    # recipe working folders for copy-cells: a good one, one with a broken record, one holding another run
    step = {"hash": "aaaa", "seconds": 1.0, "config": {}}
    for name, body in {"cells-good": json.dumps(step), "cells-broken": "{broken", "cells-list": "[1]",
                       "cells-nohash": json.dumps({"seconds": 1}), "cells-other": json.dumps({**step, "hash": "bbbb"})
                       }.items():
        (d / name / "eval" / "m" / "s").mkdir(parents=True)
        (d / name / "eval" / "m" / "s" / "seed1.step.json").write_text(body, encoding="utf-8")
    (d / "cells-good" / "eval" / "m" / "s" / "seed1").mkdir()
    (d / "cells-noname" / "eval").mkdir(parents=True)
    (d / "cells-noname" / "eval" / ".step.json").write_text(json.dumps(step), encoding="utf-8")
    (d / "broken-link").symlink_to(d / "nowhere")
    (d / "cells-good" / "eval" / "m" / "s" / "seed1" / "metrics.json").write_text("{}", encoding="utf-8")
    # a model folder whose weights were cut off (issue 23): a real safetensors header, half its data
    from safetensors.numpy import save_file

    (d / "cut-model").mkdir()
    (d / "cut-model" / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    save_file({"w": np.ones((64, 64), dtype=np.float32)}, str(d / "cut-model" / "model.safetensors"))
    raw = (d / "cut-model" / "model.safetensors").read_bytes()
    (d / "cut-model" / "model.safetensors").write_bytes(raw[: len(raw) // 2])


# (case id, argv, text the Error: line must contain -- or a tuple of texts it must all contain)
CASES: list = [
    # ---------------------------------------------------------------- generate: inputs
    ("gen-missing-input", ["generate", "{d}/nope.jsonl", "--lexicon", "{d}/en-de.txt", "--out", "{o}/o.jsonl"],
     "nope.jsonl"),
    ("gen-empty-jsonl", [*GEN[:1], "{d}/empty.jsonl", *GEN[2:]], "empty.jsonl"),
    ("gen-column-query-reads-passage", [*GEN, "--column", "query=passage"], "query and passage would both read"),
    ("gen-column-mapped-twice", [*GEN, "--column", "query=q", "--column", "query=question"],
     "--column maps query twice"),
    ("gen-blank-jsonl", [*GEN[:1], "{d}/blank.jsonl", *GEN[2:]], "blank.jsonl"),
    ("gen-binary-jsonl", [*GEN[:1], "{d}/binary.jsonl", *GEN[2:]], "binary.jsonl:1"),
    ("gen-latin1-jsonl", [*GEN[:1], "{d}/latin1.jsonl", *GEN[2:]], "latin1.jsonl:1"),
    ("gen-utf16-jsonl", [*GEN[:1], "{d}/utf16.jsonl", *GEN[2:]], "utf16.jsonl:1"),
    ("gen-bad-json-line", [*GEN[:1], "{d}/badjson.jsonl", *GEN[2:]], "badjson.jsonl:2"),
    ("gen-late-bad-line-jsonl-out", [*GEN[:1], "{d}/late-bad.jsonl", *GEN[2:]], "late-bad.jsonl:701"),
    ("gen-late-bad-line-parquet-out", ["generate", "{d}/late-bad.jsonl", "--lexicon", "{d}/en-de.txt",
                                       "--out", "{o}/o.parquet", "-q"], "late-bad.jsonl:701"),
    ("gen-late-bad-line-hf-out", ["generate", "{d}/late-bad.jsonl", "--lexicon", "{d}/en-de.txt",
                                  "--out", "{o}/dataset", "-q"], "late-bad.jsonl:701"),
    ("gen-late-bad-line-2-workers", [*GEN[:1], "{d}/late-bad.jsonl", *GEN[2:], "--workers", "2"],
     "late-bad.jsonl:701"),
    ("gen-array-line", [*GEN[:1], "{d}/array.jsonl", *GEN[2:]], "array.jsonl:1"),
    ("gen-no-query-column", [*GEN[:1], "{d}/noquery.jsonl", *GEN[2:]], "noquery.jsonl"),
    ("gen-number-query", [*GEN[:1], "{d}/numquery.jsonl", *GEN[2:]], "numquery.jsonl"),
    ("gen-null-passage", [*GEN[:1], "{d}/nullpassage.jsonl", *GEN[2:]], "nullpassage.jsonl"),
    ("gen-duplicate-ids", [*GEN[:1], "{d}/dup.jsonl", *GEN[2:]], "duplicate id 'a'"),
    ("gen-all-pairs-empty", [*GEN[:1], "{d}/emptyq.jsonl", *GEN[2:]], "emptyq.jsonl"),
    ("gen-empty-json", [*GEN[:1], "{d}/empty.json", *GEN[2:]], "empty.json"),
    ("gen-bad-json", [*GEN[:1], "{d}/badjson.json", *GEN[2:]], "badjson.json"),
    ("gen-binary-json", [*GEN[:1], "{d}/binary.json", *GEN[2:]], "binary.json"),
    ("gen-latin1-json", [*GEN[:1], "{d}/latin1.json", *GEN[2:]], "latin1.json"),
    ("gen-json-list", [*GEN[:1], "{d}/list.json", *GEN[2:]], "list.json"),
    ("gen-json-no-data", [*GEN[:1], "{d}/nodata.json", *GEN[2:]], "nodata.json"),
    ("gen-squad-no-qas", [*GEN[:1], "{d}/noqas.json", *GEN[2:]], "noqas.json"),
    ("gen-squad-data-int", [*GEN[:1], "{d}/dataint.json", *GEN[2:]], "dataint.json"),
    ("gen-squad-paragraphs-int", [*GEN[:1], "{d}/paraint.json", *GEN[2:]], "paraint.json"),
    ("gen-squad-empty-context", [*GEN[:1], "{d}/emptyctx.json", *GEN[2:]], "emptyctx.json"),
    ("gen-empty-csv", [*GEN[:1], "{d}/empty.csv", *GEN[2:]], "empty.csv"),
    ("gen-header-only-csv", [*GEN[:1], "{d}/headeronly.csv", *GEN[2:]], "headeronly.csv"),
    ("gen-csv-no-column", [*GEN[:1], "{d}/nocol.csv", *GEN[2:]], "nocol.csv"),
    ("gen-binary-csv", [*GEN[:1], "{d}/binary.csv", *GEN[2:]], "binary.csv"),
    ("gen-corrupt-parquet", [*GEN[:1], "{d}/binary.parquet", *GEN[2:]], "binary.parquet"),
    ("gen-truncated-parquet", [*GEN[:1], "{d}/truncated.parquet", *GEN[2:]], "truncated.parquet"),
    ("gen-empty-parquet", [*GEN[:1], "{d}/empty.parquet", *GEN[2:]], "empty.parquet"),
    ("gen-parquet-no-columns", [*GEN[:1], "{d}/nocols.parquet", *GEN[2:]], "nocols.parquet"),
    ("gen-unknown-suffix", [*GEN[:1], "{d}/binary.bin", *GEN[2:]], "binary.bin"),
    ("gen-plain-txt", [*GEN[:1], "{d}/pairs.txt", *GEN[2:]], "pairs.txt"),
    ("gen-empty-dir", [*GEN[:1], "{d}/empty-dir", *GEN[2:]], "empty-dir"),
    ("gen-triples-two-fields", [*GEN[:1], "{d}/triples.train.tsv", *GEN[2:]], "triples.train.tsv:1"),
    ("gen-msmarco-incomplete", [*GEN[:1], "{d}/collection.tsv", *GEN[2:]], "queries"),
    ("gen-msmarco-bad-queries", [*GEN[:1], "queries={d}/queries.train.tsv", "collection={d}/collection.tsv",
                                 "qrels={d}/qrels.train.tsv", *GEN[2:]], "queries.train.tsv:1"),
    ("gen-msmarco-bad-qrels", [*GEN[:1], "queries={d}/collection.tsv", "collection={d}/collection.tsv",
                               "qrels={d}/qrels.train.tsv", *GEN[2:]], "qrels.train.tsv:1"),
    ("gen-msmarco-missing-file", [*GEN[:1], "queries={d}/nope.tsv", *GEN[2:]], "nope.tsv"),
    ("gen-bad-column-option", [*GEN, "--column", "query"], "--column"),
    ("gen-bad-column-field", [*GEN, "--column", "title=x"], "--column"),
    ("gen-column-missing", [*GEN, "--column", "query=question"], "pairs.jsonl"),
    # ---------------------------------------------------------------- generate: lexicons
    ("gen-no-lexicon", ["generate", "{d}/pairs.jsonl", "--out", "{o}/o.jsonl"], "--lexicon"),
    ("gen-missing-lexicon", [*GEN[:2], "--lexicon", "{d}/en-fr.txt", *GEN[4:]], "en-fr.txt"),
    ("gen-empty-lexicon", [*GEN[:2], "--lexicon", "de={d}/empty-lex.txt", *GEN[4:]], "empty-lex.txt"),
    ("gen-blank-lexicon", [*GEN[:2], "--lexicon", "{d}/blank-en-de.txt", *GEN[4:]], "blank-en-de.txt"),
    ("gen-one-column-lexicon", [*GEN[:2], "--lexicon", "{d}/onecol.en-de.txt", *GEN[4:]], "onecol.en-de.txt:1"),
    ("gen-bad-count-lexicon", [*GEN[:2], "--lexicon", "{d}/toomany.en-de.txt", *GEN[4:]], "toomany.en-de.txt:1"),
    ("gen-binary-lexicon", [*GEN[:2], "--lexicon", "{d}/binary-en-de.txt", *GEN[4:]], "binary-en-de.txt:1"),
    ("gen-latin1-lexicon", [*GEN[:2], "--lexicon", "{d}/latin1-en-de.txt", *GEN[4:]], "latin1-en-de.txt:1"),
    ("gen-utf16-lexicon", [*GEN[:2], "--lexicon", "{d}/utf16-en-de.txt", *GEN[4:]], "utf16-en-de.txt:1"),
    ("gen-lexicon-no-langs", [*GEN[:2], "--lexicon", "{d}/nolang.txt", *GEN[4:]], "nolang.txt"),
    ("gen-lexicon-unknown-lang", [*GEN[:2], "--lexicon", "xx={d}/nolang.txt", *GEN[4:]], "xx"),
    ("gen-lexicon-wrong-target", [*GEN[:2], "--lexicon", "fr={d}/en-de.txt", *GEN[4:]], "en-de.txt"),
    ("gen-lexicon-not-source", [*GEN[:2], "--lexicon", "fr-de={d}/en-de.txt", *GEN[4:]], "--source-lang"),
    ("gen-lexicon-dup-target", [*GEN[:2], "--lexicon", "{d}/en-de.txt", "--lexicon", "de={d}/en-de.txt", *GEN[4:]],
     "target language"),
    ("gen-cldr-unknown", [*GEN[:2], "--lexicon", "cldr:xx", *GEN[4:]], "xx"),
    ("gen-lexicon-is-dir", [*GEN[:2], "--lexicon", "de={d}/empty-dir", *GEN[4:]], "empty-dir"),
    # ---------------------------------------------------------------- generate: options
    ("gen-ratio-nan", [*GEN, "--ratio", "nan"], "--ratio"),
    ("gen-ratio-inf", [*GEN, "--ratio", "inf"], "--ratio"),
    ("gen-ratio-negative", [*GEN, "--ratio", "-0.1"], "--ratio"),
    ("gen-ratio-above-one", [*GEN, "--ratio", "1.5"], "--ratio"),
    ("gen-ratio-text", [*GEN, "--ratio", "half"], "--ratio"),
    ("gen-sentence-ratio-nan", [*GEN, "--sentence-ratio", "nan"], "--sentence-ratio"),
    ("gen-sentence-ratio-two", [*GEN, "--sentence-ratio", "2"], "--sentence-ratio"),
    ("gen-workers-negative", [*GEN, "--workers", "-3"], "--workers"),
    ("gen-workers-text", [*GEN, "--workers", "many"], "--workers"),
    ("gen-variants-zero", [*GEN, "--variants", "0"], "--variants"),
    ("gen-seed-float", [*GEN, "--seed", "1.5"], "--seed"),
    ("gen-side-bad", [*GEN, "--side", "left"], "--side"),
    ("gen-policy-bad", [*GEN, "--policy", "best"], "--policy"),
    ("gen-draw-bad", [*GEN, "--draw", "some"], "--draw"),
    ("gen-tokenizer-bad", [*GEN, "--tokenizer", "bpe"], "--tokenizer"),
    ("gen-format-bad", [*GEN, "--format", "xml"], "--format"),
    ("gen-source-lang-bad", [*GEN, "--source-lang", "english"], "english"),
    ("gen-no-out", ["generate", "{d}/pairs.jsonl", "--lexicon", "{d}/en-de.txt"], "--out"),
    ("gen-out-exists", [*GEN[:-3], "--out", "{d}/pairs.jsonl"], "--overwrite"),
    ("gen-out-under-a-file", [*GEN[:-3], "--out", "{d}/a-file/o.jsonl"], "a-file"),
    ("gen-unknown-option", [*GEN, "--ratoi", "0.5"], "--ratoi"),
    ("gen-split-missing", [*GEN[:1], "{d}/empty-dir", *GEN[2:], "--split", "dev"], "empty-dir"),
    # ---------------------------------------------------------------- generate --pairs
    ("pairs-cross-one-language", ["generate", XQ_EN, "--pairs", "cross", "--out", "{o}/p.jsonl", "-q"], "language"),
    ("pairs-missing", ["generate", "{d}/nope.json", XQ_DE, "--pairs", "all", "--out", "{o}/p.jsonl"], "nope"),
    ("pairs-binary", ["generate", "{d}/binary.json", XQ_DE, "--pairs", "all", "--out", "{o}/p.jsonl"],
     "binary.json"),
    ("pairs-held-out-nan", ["generate", XQ_EN, XQ_DE, "--pairs", "all", "--split-by", "title", "--held-out", "nan",
                            "--out", "{o}/p.jsonl"], "--held-out"),
    ("pairs-held-out-big", ["generate", XQ_EN, XQ_DE, "--pairs", "all", "--split-by", "title", "--held-out", "500",
                            "--out", "{o}/p.jsonl"], "--held-out"),
    ("pairs-held-out-negative", ["generate", XQ_EN, XQ_DE, "--pairs", "all", "--split-by", "title", "--held-out",
                                 "-1", "--out", "{o}/p.jsonl"], "--held-out"),
    ("pairs-align-iter-nan", ["generate", XQ_EN, XQ_DE, "--pairs", "all", "--align-switch", "en,de",
                              "--align-iterations", "nan", "--out", "{o}/p.jsonl"], "--align-iterations"),
    ("pairs-align-iter-zero", ["generate", XQ_EN, XQ_DE, "--pairs", "all", "--align-switch", "en,de",
                               "--align-iterations", "0", "--out", "{o}/p.jsonl"], "--align-iterations"),
    ("pairs-align-unknown-lang", ["generate", XQ_EN, XQ_DE, "--pairs", "all", "--align-switch", "en,xx",
                                  "--out", "{o}/p.jsonl"], "xx"),
    ("pairs-ratio-inf", ["generate", XQ_EN, XQ_DE, "--pairs", "all", "--ratio", "inf", "--out", "{o}/p.jsonl"],
     "--ratio"),
    ("pairs-mode-bad", ["generate", XQ_EN, XQ_DE, "--pairs", "some", "--out", "{o}/p.jsonl"], "--pairs"),
    ("pairs-tsv-empty-text", ["generate", "{d}/fl.en.tsv", "{d}/fl-emptytext.de.tsv", "--pairs", "cross",
                              "--out", "{o}/p.jsonl"], ("fl-emptytext.de.tsv:3", "'text'")),
    ("pairs-tsv-no-text-column", ["generate", "{d}/fl.en.tsv", "{d}/fl-notext.de.tsv", "--pairs", "cross",
                                  "--out", "{o}/p.jsonl"], ("fl-notext.de.tsv:1", "index_id")),
    ("pairs-tsv-no-language", ["generate", "{d}/fl.en.tsv", "{d}/pairs.tsv", "--pairs", "cross",
                               "--out", "{o}/p.jsonl"], ("pairs.tsv", "LANG=PATH")),
    ("pairs-pivot-not-read", ["generate", XQ_EN, XQ_DE, "--pairs", "cross", "--pair-pivot", "fr",
                              "--out", "{o}/p.jsonl"], ("pivot", "'fr'")),
    ("pairs-pivot-unknown", ["generate", XQ_EN, XQ_DE, "--pairs", "cross", "--pair-pivot", "xx",
                             "--out", "{o}/p.jsonl"], "xx"),
    ("pairs-passage-lang-not-read", ["generate", XQ_EN, XQ_DE, "--pairs", "cross", "--pair-passage-langs", "en,fr",
                                     "--out", "{o}/p.jsonl"], ("passage language", "'fr'")),
    ("pairs-passage-lang-unknown", ["generate", XQ_EN, XQ_DE, "--pairs", "cross", "--pair-passage-langs", "xx",
                                    "--out", "{o}/p.jsonl"], "xx"),
    # ---------------------------------------------------------------- lexicon stats
    ("stats-missing", [*STATS, "{d}/en-fr.txt"], "en-fr.txt"),
    ("stats-empty", [*STATS, "de={d}/empty-lex.txt"], "empty-lex.txt"),
    ("stats-binary", [*STATS, "{d}/binary-en-de.txt"], "binary-en-de.txt:1"),
    ("stats-latin1", [*STATS, "{d}/latin1-en-de.txt"], "latin1-en-de.txt:1"),
    ("stats-utf16", [*STATS, "{d}/utf16-en-de.txt"], "utf16-en-de.txt:1"),
    ("stats-one-column", [*STATS, "{d}/onecol.en-de.txt"], "onecol.en-de.txt:1"),
    ("stats-no-langs", [*STATS, "{d}/nolang.txt"], "nolang.txt"),
    ("stats-unknown-lang", [*STATS, "{d}/en-xx.txt"], "en-xx.txt"),
    ("stats-text-missing", [*STATS, "{d}/en-de.txt", "--text", "{d}/nope.txt"], "nope.txt"),
    ("stats-text-binary", [*STATS, "{d}/en-de.txt", "--text", "{d}/binary-en.txt"], "binary-en.txt:1"),
    ("stats-text-binary-jsonl", [*STATS, "{d}/en-de.txt", "--text", "{d}/binary.jsonl"], "binary.jsonl:1"),
    ("stats-text-bad-parquet", [*STATS, "{d}/en-de.txt", "--text", "{d}/truncated.parquet"], "truncated.parquet"),
    ("stats-text-is-dir", [*STATS, "{d}/en-de.txt", "--text", "{d}/empty-dir"], "empty-dir"),
    ("stats-policy-bad", [*STATS, "{d}/en-de.txt", "--policy", "best"], "--policy"),
    ("stats-source-lang-bad", [*STATS, "{d}/en-de.txt", "--source-lang", "zz"], "zz"),
    # ---------------------------------------------------------------- lexicon induce
    ("induce-missing-dir", ["lexicon", "induce", "{d}/nope", "--out", "{o}/lex.txt"], "nope"),
    ("induce-empty-dir", ["lexicon", "induce", "{d}/empty-dir", "--out", "{o}/lex.txt"], "empty-dir"),
    ("induce-binary-pairs", INDUCE, "pairs.jsonl"),
    ("induce-file-not-dir", ["lexicon", "induce", "{d}/en-de.txt", "--out", "{o}/lex.txt"], "en-de.txt"),
    ("induce-min-prob-nan", [*INDUCE, "--min-prob", "nan"], "--min-prob"),
    ("induce-min-prob-big", [*INDUCE, "--min-prob", "1.5"], "--min-prob"),
    ("induce-min-reverse-inf", [*INDUCE, "--min-reverse-prob", "inf"], "--min-reverse-prob"),
    ("induce-min-count-zero", ["lexicon", "induce", "{d}/empty-dir", "--out", "{o}/lex.txt", "--min-count", "0"],
     "--min-count"),
    ("induce-top-k-zero", ["lexicon", "induce", "{d}/empty-dir", "--out", "{o}/lex.txt", "--top-k", "0"],
     "--top-k"),
    ("induce-gold-missing", ["lexicon", "induce", "{d}/empty-dir", "--out", "{o}/lex.txt", "--gold",
                             "{d}/nope.txt"], "nope.txt"),
    ("induce-gold-binary", ["lexicon", "induce", "{d}/empty-dir", "--out", "{o}/lex.txt", "--gold",
                            "{d}/binary-gold.txt"], "binary-gold.txt:1"),
    ("induce-gold-one-column", ["lexicon", "induce", "{d}/empty-dir", "--out", "{o}/lex.txt", "--gold",
                                "{d}/gold-bad.txt"], "gold-bad.txt:1"),
    ("induce-gold-empty", ["lexicon", "induce", "{d}/empty-dir", "--out", "{o}/lex.txt", "--gold",
                           "{d}/empty-lex.txt"], "empty-lex.txt"),
    ("induce-out-exists", ["lexicon", "induce", "{d}/empty-dir", "--out", "{d}/en-de.txt"], "--overwrite"),
    ("induce-symmetrize-bad", [*INDUCE, "--symmetrize", "bogus"], "--symmetrize"),
    ("induce-number-for-a-word", ["lexicon", "induce", "{d}/aligned-number", "--out", "{o}/lex.txt"],
     ("aligned-number/pairs.jsonl:2", '"tgt" is int 7')),
    ("induce-languages-change", ["lexicon", "induce", "{d}/aligned-mixed", "--out", "{o}/lex.txt"],
     ("aligned-mixed/pairs.jsonl:2", "en-fr differ")),
    # ---------------------------------------------------------------- align
    ("align-missing-source", ["align", "{d}/nope.txt", "{d}/de.txt", "--out", "{o}/al"], "nope.txt"),
    ("align-binary-source", [*ALIGN[:1], "{d}/binary-en.txt", *ALIGN[2:]], "binary-en.txt:1"),
    ("align-latin1-target", [*ALIGN[:2], "{d}/latin1-de.txt", *ALIGN[3:]], "latin1-de.txt:1"),
    ("align-binary-json", ["align", "en={d}/binary.json", XQ_DE, "--out", "{o}/al", "--no-progress"],
     "binary.json"),
    ("align-line-count-differs", ALIGN, "de.txt"),
    ("align-empty-files", ["align", "{d}/empty-en.txt", "{d}/empty-de.txt", "--out", "{o}/al"], "empty"),
    ("align-same-language", ["align", "en={d}/en.txt", "en={d}/de2.txt", "--out", "{o}/al"], "en"),
    ("align-no-language", ["align", "{d}/pairs.txt", "{d}/pairs.tsv", "--out", "{o}/al"], "pairs.txt"),
    ("align-unknown-src-lang", [*ALIGN, "--src-lang", "zz"], "zz"),
    ("align-rel-iterations-nan", [*ALIGN2, "--rel-iterations", "nan"],
     "--rel-iterations"),
    ("align-rel-iterations-negative", [*ALIGN2, "--rel-iterations", "-1"],
     "--rel-iterations"),
    ("align-chunk-size-zero", [*ALIGN2, "--chunk-size", "0"], "--chunk-size"),
    ("align-workers-zero", [*ALIGN2, "--workers", "0"], "--workers"),
    ("align-prior-negative", [*ALIGN2, "--prior-sentences", "-5"],
     "--prior-sentences"),
    ("align-simalign-no-model", [*ALIGN2, "--backend", "simalign"], "--model"),
    ("align-resume-simalign", [*ALIGN2, "--backend", "simalign", "--resume"],
     "--resume"),
    ("align-out-exists", ["align", "{d}/en.txt", "{d}/de2.txt", "--out", "{d}/empty-dir"], "--overwrite"),
    ("align-symmetrize-bad", [*ALIGN2, "--symmetrize", "bogus"], "--symmetrize"),
    # ---------------------------------------------------------------- train: options (before any model loads)
    ("train-lr-nan", [*TRAIN, "--lr", "nan"], "--lr"),
    ("train-lr-inf", [*TRAIN, "--lr", "inf"], "--lr"),
    ("train-lr-zero", [*TRAIN, "--lr", "0"], "--lr"),
    ("train-lr-text", [*TRAIN, "--lr", "fast"], "--lr"),
    ("train-alpha-nan", [*TRAIN, "--alpha", "nan"], "--alpha"),
    ("train-alpha-big", [*TRAIN, "--alpha", "1.5"], "--alpha"),
    ("train-epochs-nan", [*TRAIN, "--epochs", "nan"], "--epochs"),
    ("train-epochs-zero", [*TRAIN, "--epochs", "0"], "--epochs"),
    ("train-warmup-nan", [*TRAIN, "--warmup", "nan"], "--warmup"),
    ("train-warmup-one", [*TRAIN, "--warmup", "1"], "--warmup"),
    ("train-weight-decay-inf", [*TRAIN, "--weight-decay", "inf"], "--weight-decay"),
    ("train-loss-scale-nan", [*TRAIN, "--loss-scale", "nan"], "--loss-scale"),
    ("train-loss-scale-negative", [*TRAIN, "--loss-scale", "-1"], "--loss-scale"),
    ("train-val-fraction-nan", [*TRAIN, "--val-fraction", "nan"], "--val-fraction"),
    ("train-val-fraction-one", [*TRAIN, "--val-fraction", "1"], "--val-fraction"),
    ("train-batch-size-zero", [*TRAIN, "--batch-size", "0"], "--batch-size"),
    ("train-batch-size-float", [*TRAIN, "--batch-size", "2.5"], "--batch-size"),
    ("train-max-query-length-zero", [*TRAIN, "--max-query-length", "0"], "--max-query-length"),
    ("train-grad-accum-zero", [*TRAIN, "--gradient-accumulation", "0"], "--gradient-accumulation"),
    ("train-hard-negatives-negative", [*TRAIN, "--hard-negatives", "-1"], "--hard-negatives"),
    ("train-early-stopping-no-val", [*TRAIN, "--early-stopping", "2"], "--val-fraction"),
    ("train-batching-bad", [*TRAIN, "--batching", "mixed"], "--batching"),
    ("train-precision-bad", [*TRAIN, "--precision", "fp8"], "--precision"),
    ("train-device-bad", [*TRAIN, "--device", "tpu"], "--device"),
    ("train-no-data-option", ["train", "--model", "{d}/no-model", "--out", "{o}/m"], "--data"),
    # ---------------------------------------------------------------- train: data (tiny model)
    ("train-data-missing", [*TRAIN_TINY, "--data", "{d}/nope.jsonl"], "nope.jsonl"),
    ("train-data-empty", [*TRAIN_TINY, "--data", "{d}/rec-empty.jsonl"], "rec-empty.jsonl"),
    ("train-data-binary", [*TRAIN_TINY, "--data", "{d}/rec-binary.jsonl"], "rec-binary.jsonl:1"),
    ("train-data-latin1", [*TRAIN_TINY, "--data", "{d}/rec-latin1.jsonl"], "rec-latin1.jsonl:1"),
    ("train-data-bad-json", [*TRAIN_TINY, "--data", "{d}/rec-badjson.jsonl"], "rec-badjson.jsonl:2"),
    ("train-data-missing-field", [*TRAIN_TINY, "--data", "{d}/rec-missing.jsonl"], "rec-missing.jsonl:1"),
    ("train-data-bad-kind", [*TRAIN_TINY, "--data", "{d}/rec-kind.jsonl"], "rec-kind.jsonl:1"),
    ("train-data-mixed-lang", [*TRAIN_TINY, "--data", "{d}/rec-mixed.jsonl"], "rec-mixed.jsonl:1"),
    ("train-data-empty-query", [*TRAIN_TINY, "--data", "{d}/rec-emptyq.jsonl"], "rec-emptyq.jsonl:1"),
    ("train-data-empty-passage", [*TRAIN_TINY, "--data", "{d}/rec-emptyp.jsonl"], "rec-emptyp.jsonl:1"),
    ("train-data-bad-switch", [*TRAIN_TINY, "--data", "{d}/rec-switch.jsonl"], "rec-switch.jsonl:1"),
    ("train-data-bad-negatives", [*TRAIN_TINY, "--data", "{d}/rec-negs.jsonl"], "rec-negs.jsonl:1"),
    ("train-data-bad-meta", [*TRAIN_TINY, "--data", "{d}/rec-meta.jsonl"], "rec-meta.jsonl:1"),
    ("train-data-corrupt-parquet", [*TRAIN_TINY, "--data", "{d}/rec-corrupt.parquet"], "rec-corrupt.parquet"),
    ("train-data-parquet-types", [*TRAIN_TINY, "--data", "{d}/rec-types.parquet"], "rec-types.parquet"),
    ("train-data-empty-dir", [*TRAIN_TINY, "--data", "{d}/empty-dir"], "empty-dir"),
    ("train-model-missing", ["train", "--data", "{d}/train.jsonl", "--model", "{d}/no-model", "--out", "{o}/m",
                             "--max-steps", "1", "--device", "cpu", "--batch-size", "2", "--batching", "mono"],
     "no-model"),
    ("train-model-is-file", ["train", "--data", "{d}/train.jsonl", "--model", "{d}/en-de.txt", "--out", "{o}/m",
                             "--max-steps", "1", "--device", "cpu", "--batch-size", "2", "--batching", "mono"],
     "en-de.txt"),
    # ---------------------------------------------------------------- evaluate / compare / check-scores
    ("eval-bad-dataset", ["evaluate", "--model", "bm25", "--dataset", "miracl/xx/dev", "--out", "{o}/ev"],
     "miracl/xx/dev"),
    ("eval-unknown-dataset", ["evaluate", "--model", "bm25", "--dataset", "nosuch", "--out", "{o}/ev"],
     "nosuch"),
    ("eval-bm25-k1-nan", [*EVAL, "--bm25-k1", "nan"], "--bm25-k1"),
    ("eval-bm25-k1-negative", [*EVAL, "--bm25-k1", "-1"], "--bm25-k1"),
    ("eval-bm25-b-inf", [*EVAL, "--bm25-b", "inf"], "--bm25-b"),
    ("eval-bm25-b-big", [*EVAL, "--bm25-b", "2"], "--bm25-b"),
    ("eval-depth-text", [*EVAL, "--depth", "deep"], "--depth"),
    ("eval-settings-bad", [*EVAL, "--settings", "all"], "--settings"),
    ("eval-index-bad", [*EVAL, "--index", "annoy"], "--index"),
    ("eval-unknown-lang", ["evaluate", "--model", "bm25", "--dataset", "xquad-r", "--langs", "en,klingon",
                           "--out", "{o}/ev"], "klingon"),
    ("eval-titles-missing", ["evaluate", "--model", "bm25", "--dataset", "xquad-r", "--data-dir", "{data}",
                             "--titles", "{d}/nope.txt", "--out", "{o}/ev"], "nope.txt"),
    ("eval-titles-binary", ["evaluate", "--model", "bm25", "--dataset", "xquad-r", "--data-dir", "{data}",
                            "--titles", "{d}/binary.bin", "--out", "{o}/ev"], "binary.bin"),
    ("eval-out-exists", [*EVAL[:-1], "{d}/empty-dir"], "--overwrite"),
    ("eval-no-dataset", ["evaluate", "--model", "bm25", "--out", "{o}/ev"], "--dataset"),
    ("compare-bm25-b-nan", [*COMPARE, "--bm25-b", "nan"], "--bm25-b"),
    ("compare-bad-dataset", ["compare", "--model", "bm25", "--dataset", "miracl/xx/dev", "--out", "{o}/cmp"],
     "miracl/xx/dev"),
    ("compare-no-model", ["compare", "--dataset", "miracl/sw/dev", "--out", "{o}/cmp"], "--model"),
    ("compare-depth-text", [*COMPARE, "--depth", "deep"], "--depth"),
    ("check-missing-dir", ["check-scores", "{d}/nope"], "nope"),
    ("check-expected-missing", ["check-scores", "{d}/results", "--expected", "{d}/nope.yaml"], "nope.yaml"),
    ("check-expected-bad-yaml", ["check-scores", "{d}/results", "--expected", "{d}/expected-bad.yaml"],
     "expected-bad.yaml"),
    ("check-expected-binary", ["check-scores", "{d}/results", "--expected", "{d}/binary.yaml"], "binary.yaml"),
    ("check-file-not-dir", ["check-scores", "{d}/en-de.txt"], "en-de.txt"),
    # ---------------------------------------------------------------- recipe run
    ("recipe-missing", [*RECIPE, "{d}/nope.yaml", "--out", "{o}/r"], "nope.yaml"),
    ("recipe-bad-yaml", [*RECIPE, "{d}/recipe-bad.yaml", "--out", "{o}/r"], "recipe-bad.yaml"),
    ("recipe-binary", [*RECIPE, "{d}/binary.yaml", "--out", "{o}/r"], "binary.yaml"),
    ("recipe-list", [*RECIPE, "{d}/recipe-list.yaml", "--out", "{o}/r"], "recipe-list.yaml"),
    ("recipe-empty", [*RECIPE, "{d}/recipe-empty.yaml", "--out", "{o}/r"], "recipe-empty.yaml"),
    ("recipe-no-models", [*RECIPE, "{d}/recipe-nomodels.yaml", "--out", "{o}/r"], "recipe-nomodels.yaml"),
    ("recipe-dry-run-bad-yaml", [*RECIPE, "{d}/recipe-bad.yaml", "--out", "{o}/r", "--dry-run"],
     "recipe-bad.yaml"),
    ("recipe-no-out", [*RECIPE, "{d}/recipe-bad.yaml"], "--out"),
    ("recipe-report-no-out", ["recipe", "report", "{d}/recipe-bad.yaml"], ("needs --out", "recipe run")),
    ("recipe-report-out-missing", ["recipe", "report", "{d}/recipe-bad.yaml", "--out", "{d}/nope"],
     ("nope", "not a folder that `recipe run` filled")),
    ("recipe-dir", [*RECIPE, "{d}/empty-dir", "--out", "{o}/r"], "empty-dir"),
    ("recipe-seeds-text", [*RECIPE, "{d}/recipe-ok.yaml", "--out", "{o}/r", "--seeds", "1", "--seeds", "x"],
     ("--seeds", "'1,x'")),
    ("recipe-settings-unknown", [*RECIPE, "{d}/recipe-ok.yaml", "--out", "{o}/r", "--settings", "off-the-shelf",
                                 "--settings", "nope"], ("--settings", "'nope' is not in", "known: off-the-shelf")),
    ("recipe-seeds-unknown", [*RECIPE, "{d}/recipe-ok.yaml", "--out", "{o}/r", "--seeds", "1,4"],
     ("--seeds: 4 is not among the seeds", "recipe-ok.yaml (1)", "'seeds' list")),
    ("recipe-models-unknown", [*RECIPE, "{d}/recipe-ok.yaml", "--out", "{o}/r", "--models", "e5"],
     ("--models", "'e5' is not in")),
    ("recipe-soup-one-seed", [*RECIPE, "{d}/recipe-soup-one-seed.yaml", "--out", "{o}/r"],
     ("recipe-soup-one-seed.yaml", "settings.tuned-soup averages the models of every seed", "at least two seeds")),
    ("recipe-soup-unknown", [*RECIPE, "{d}/recipe-soup-unknown.yaml", "--out", "{o}/r"],
     ("recipe-soup-unknown.yaml", "settings.s.soup is 'nope', not a trained setting")),
    ("recipe-soup-twice", [*RECIPE, "{d}/recipe-soup-twice.yaml", "--out", "{o}/r"],
     ("recipe-soup-twice.yaml", "settings.s.soup is ['tuned', 'tuned']", "a list of different trained settings")),
    # ---------------------------------------------------------------- recipe copy-cells
    ("cells-source-missing", [*CELLS, "{d}/nope", "{o}/c"], ("nope", "not a folder")),
    ("cells-source-is-file", [*CELLS, "{d}/a-file", "{o}/c"], ("a-file", "not a folder")),
    ("cells-source-no-records", [*CELLS, "{d}/empty-dir", "{o}/c"], ("empty-dir", "no step records")),
    ("cells-record-broken", [*CELLS, "{d}/cells-broken", "{o}/c"], ("seed1.step.json", "not a readable step record")),
    ("cells-record-list", [*CELLS, "{d}/cells-list", "{o}/c"], ("seed1.step.json", "found a JSON list")),
    ("cells-record-no-hash", [*CELLS, "{d}/cells-nohash", "{o}/c"], ("seed1.step.json", "without a string 'hash'")),
    ("cells-destination-is-file", [*CELLS, "{d}/cells-good", "{d}/a-file"], ("a-file", "is a file")),
    ("cells-same-folder", [*CELLS, "{d}/cells-good", "{d}/cells-good"], "same folder"),
    ("cells-destination-inside", [*CELLS, "{d}/cells-good", "{d}/cells-good/kept"], "lies inside the other"),
    ("cells-conflict", [*CELLS, "{d}/cells-good", "{d}/cells-other"],
     ("eval/m/s/seed1 (here aaaa, there bbbb)", "nothing was copied", "--replace")),
    ("cells-record-names-no-output", [*CELLS, "{d}/cells-noname", "{o}/c"], (".step.json", "names no output")),
    ("cells-destination-broken-link", [*CELLS, "{d}/cells-good", "{d}/broken-link"], ("broken-link", "broken link")),
    ("cells-destination-record-broken", [*CELLS, "{d}/cells-good", "{d}/cells-broken"],
     ("cells-broken", "not a readable step record")),
    # ---------------------------------------------------------------- issue 23: data loss, train folders
    ("train-checkpoint-dir-is-out", [*TRAIN_REAL, "--checkpoint-dir", "{o}/m"], ("--checkpoint-dir", "same folder")),
    ("train-checkpoint-dir-in-out", [*TRAIN_REAL, "--checkpoint-dir", "{o}/m/ckpt"],
     ("--checkpoint-dir", "inside --out")),
    ("train-out-in-checkpoint-dir", [*TRAIN_REAL, "--checkpoint-dir", "{o}"], ("--out", "inside --checkpoint-dir")),
    # ---------------------------------------------------------------- issue 23: one option type per kind of number
    ("train-seed-negative", [*TRAIN, "--seed", "-1"], ("--seed", "[0, 4294967295]")),
    ("train-seed-too-big", [*TRAIN, "--seed", "4294967296"], ("--seed", "[0, 4294967295]")),
    ("train-max-steps-zero", [*TRAIN, "--max-steps", "0"], ("--max-steps", "-1")),
    ("train-max-steps-minus-two", [*TRAIN, "--max-steps", "-2"], ("--max-steps", "-1")),
    ("train-save-steps-zero", [*TRAIN, "--save-steps", "0"], ("--save-steps", ">= 1")),
    ("eval-batch-size-zero", [*EVAL, "--batch-size", "0"], ("--batch-size", ">= 1")),
    ("eval-max-length-negative", [*EVAL, "--max-length", "-1"], ("--max-length", ">= 1")),
    ("eval-max-length-zero", [*EVAL, "--max-length", "0"], ("--max-length", ">= 1")),
    ("eval-depth-zero", [*EVAL, "--depth", "0"], ("--depth", ">= 1")),
    ("eval-depth-negative", [*EVAL, "--depth", "-5"], ("--depth", ">= 1")),
    ("eval-shard-size-zero", [*EVAL, "--shard-size", "0"], ("--shard-size", ">= 1")),
    ("eval-shard-size-negative", [*EVAL, "--shard-size", "-1"], ("--shard-size", ">= 1")),
    ("compare-depth-zero", [*COMPARE, "--depth", "0"], ("--depth", ">= 1")),
    ("compare-batch-size-zero", [*COMPARE, "--batch-size", "0"], ("--batch-size", ">= 1")),
    # ---------------------------------------------------------------- issue 23: damaged model weights
    ("train-model-truncated-weights", ["train", "--data", "{d}/train.jsonl", "--model", "{d}/cut-model", "--out",
                                       "{o}/m", "--max-steps", "1", "--device", "cpu", "--batch-size", "2",
                                       "--batching", "mono"], ("cut-model/model.safetensors", "truncated")),
    ("eval-model-truncated-weights", ["evaluate", "--model", "{d}/cut-model", "--dataset", "beir:{d}/beir-good",
                                      "--query-lang", "en", "--passage-lang", "en", "--device", "cpu",
                                      "--out", "{o}/ev"], ("cut-model/model.safetensors", "truncated")),
    # ---------------------------------------------------------------- issue 23: BEIR folders
    ("beir-qrels-header-only", BEIR("header-only"), ("test.tsv", "no judgments")),
    ("beir-qrels-all-zero", BEIR("all-zero"), ("test.tsv", "no judgment is relevant")),
    ("beir-empty-corpus", BEIR("empty-corpus"), ("corpus.jsonl", "no passages")),
    ("beir-null-query-text", BEIR("null-query"), ("queries.jsonl:2", '"text" is null')),
    ("beir-null-passage-text", BEIR("null-passage"), ("corpus.jsonl:2", '"text" is null')),
    ("beir-query-id-with-space", BEIR("space-qid"), ("test.tsv:2", "'q 1'", "whitespace")),
    ("beir-doc-id-with-space", BEIR("space-docid"), ("corpus.jsonl:3", "'d 3'", "whitespace")),
    ("beir-latin1-corpus", BEIR("latin1-corpus"), ("corpus.jsonl:1", "encoding")),
    ("beir-latin1-queries", BEIR("latin1-queries"), ("queries.jsonl:1", "encoding")),
    ("beir-latin1-qrels", BEIR("latin1-qrels"), ("test.tsv:3", "encoding")),
    ("beir-utf16-queries", BEIR("utf16-queries"), ("queries.jsonl:1", "UTF-16", "encoding")),
    ("beir-utf16-corpus", BEIR("utf16-corpus"), ("corpus.jsonl:1", "UTF-16", "encoding")),
    # ---------------------------------------------------------------- issue 23: the user's path, never our temporary
    ("eval-out-is-a-file", [*BEIR("good")[:-2], "--out", "{d}/a-file", "--overwrite"],
     ("a-file", "a file of that name is in the way")),
    # the other kind of path in the way is refused before any work, not after it
    ("gen-out-is-a-folder", [*GEN[:-3], "--out", "{d}/a-dir.jsonl", "--overwrite"],
     ("a-dir.jsonl", "a folder of that name is in the way")),
    ("induce-out-is-a-folder", ["lexicon", "induce", "{d}/aligned", "--out", "{d}/empty-dir", "--overwrite"],
     ("empty-dir", "a folder of that name is in the way")),
    ("interpolate-out-is-a-file", ["interpolate", "--tuned", "{tiny}", "--base", "{tiny}", "--lam", "0.5",
                                   "--out", "{d}/a-file", "--overwrite"], ("a-file", "a file of that name")),
    ("soup-out-is-a-file", ["soup", "--model", "{tiny}", "--model", "{tiny}", "--out", "{d}/a-file", "--overwrite"],
     ("a-file", "a file of that name")),
    ("soup-one-model", ["soup", "--model", "{tiny}", "--out", "{o}/soup"], "a soup averages at least two models"),
    ("soup-no-model-option", ["soup", "--out", "{o}/soup"], "--model"),
    ("train-out-is-a-file", ["train", "--data", "{d}/train.jsonl", "--model", "{tiny}", "--out", "{d}/a-file",
                             "--overwrite"], ("a-file", "a file of that name is in the way")),
    # ---------------------------------------------------------------- mine-negatives: options, records, model, output
    ("mine-num-zero", [*MINE, "--num", "0"], "--num"),
    ("mine-num-text", [*MINE, "--num", "two"], "--num"),
    ("mine-range-min-negative", [*MINE, "--range-min", "-1"], "--range-min"),
    ("mine-range-max-zero", [*MINE, "--range-max", "0"], "--range-max"),
    ("mine-range-leaves-too-few", [*MINE, "--num", "3", "--range-min", "8", "--range-max", "10"],
     ("--range-max must leave at least --num 3 ranks after --range-min 8", "found 10")),
    ("mine-margin-one", [*MINE, "--relative-margin", "1"], ("--relative-margin must be in [0, 1)", "found 1.0")),
    ("mine-margin-negative", [*MINE, "--relative-margin", "-0.1"], "--relative-margin"),
    ("mine-margin-nan", [*MINE, "--relative-margin", "nan"], "--relative-margin"),
    ("mine-batch-size-zero", [*MINE, "--batch-size", "0"], "--batch-size"),
    ("mine-device-bad", [*MINE, "--device", "tpu"], "--device"),
    ("mine-no-model-option", MINE[:2] + MINE[4:], "--model"),
    ("mine-no-out-option", MINE[:4], "--out"),
    ("mine-data-missing", ["mine-negatives", "{d}/nope.jsonl", *MINE[2:]], "nope.jsonl"),
    ("mine-data-empty", ["mine-negatives", "{d}/rec-empty.jsonl", *MINE[2:]], "rec-empty.jsonl"),
    ("mine-data-bad-json", ["mine-negatives", "{d}/rec-badjson.jsonl", *MINE[2:]], "rec-badjson.jsonl:2"),
    ("mine-data-missing-field", ["mine-negatives", "{d}/rec-missing.jsonl", *MINE[2:]], "rec-missing.jsonl:1"),
    ("mine-data-bad-negatives", ["mine-negatives", "{d}/rec-negs.jsonl", *MINE[2:]], "rec-negs.jsonl:1"),
    ("mine-data-latin1", ["mine-negatives", "{d}/rec-latin1.jsonl", *MINE[2:]], "rec-latin1.jsonl:1"),
    ("mine-data-raw-pairs", ["mine-negatives", "{d}/pairs.jsonl", *MINE[2:]], "pairs.jsonl:1"),
    ("mine-model-missing", MINE, ("cannot load model", "no-model")),
    ("mine-model-damaged", [*MINE[:2], "--model", "{d}/cut-model", *MINE[4:]], ("cut-model/model.safetensors",)),
    ("mine-out-exists", [*MINE[:4], "--out", "{d}/pairs.jsonl"], ("pairs.jsonl", "--overwrite")),
    ("mine-out-is-a-folder", [*MINE[:4], "--out", "{d}/a-dir.jsonl", "--overwrite"],
     ("a-dir.jsonl", "a folder of that name is in the way")),
    ("mine-out-is-data", [*MINE[:4], "--out", "{d}/train.jsonl", "--overwrite"],
     ("would replace DATA", "train.jsonl", "write to another path")),
    ("mine-out-shares-stats", [*MINE[:4], "--out", "{d}/train.parquet", "--overwrite"],
     ("would replace DATA", "its statistics file")),
    ("mine-one-passage", [*MINE[:2], "--model", "{tiny}", *MINE[4:]],
     ("passage language 'en' has 1 distinct passages", "--num 1")),
]


def _params():
    for case in CASES:
        values, marks = (case.values, case.marks) if hasattr(case, "marks") else (case, ())
        yield pytest.param(values[1], values[2], id=values[0], marks=marks)


PARAMS = list(_params())


def test_at_least_150_cases_with_unique_ids():
    ids = [p.id for p in PARAMS]
    assert len(ids) >= 150 and len(set(ids)) == len(ids)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bad-inputs")
    _make_inputs(d)
    return d


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir()}


def _scratch() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith("codeswitch-")}


@pytest.mark.parametrize(("argv", "expect"), PARAMS)
def test_bad_input(argv, expect, inputs, shared_data, request, monkeypatch, tmp_path):
    values = {"d": str(inputs), "data": str(shared_data), "o": str(tmp_path / "out")}
    if any("{tiny}" in a for a in argv):
        values["tiny"] = str(request.getfixturevalue("tiny_xlmr"))
    args = [a.format(**values) for a in argv]
    monkeypatch.chdir(inputs)
    before, scratch = _files(inputs), _scratch()
    result = CliRunner().invoke(main, args)
    output = result.output
    assert result.exit_code not in (0, None), output
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}\n{output}"
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    for text in (expect,) if isinstance(expect, str) else expect:  # one text, or several that must all appear
        assert text in errors[0], output
    assert _files(inputs) == before, f"left behind: {_files(inputs) - before}\n{output}"
    assert _files(tmp_path) == set(), f"left behind: {_files(tmp_path)}\n{output}"
    assert _scratch() <= scratch, f"left in {tempfile.gettempdir()}: {_scratch() - scratch}"


def test_top_level_help_lists_every_command_with_a_description():
    r = CliRunner().invoke(main, ["--help"])
    listed = r.output.split("Commands:")[1].strip().splitlines()
    names = {line.split()[0]: line.split(maxsplit=1)[1:] for line in listed}
    assert set(names) == {"align", "check-scores", "compare", "evaluate", "generate", "interpolate", "lexicon",
                          "mine-negatives", "recipe", "soup", "train"}
    assert all(desc for desc in names.values()), listed  # compare had none (issue 12)


@pytest.mark.parametrize("command", ["compare", "check-scores", "generate", "align", "train", "evaluate",
                                     "interpolate", "soup", "mine-negatives"])
def test_command_help_has_an_example(command):
    r = CliRunner().invoke(main, [command, "--help"])
    assert r.exit_code == 0 and "codeswitch " + command in r.output, r.output


def test_error_line_is_not_glued_to_a_progress_bar(tmp_path):
    # issue 12: "Error:" was printed at the end of the bar's line, followed by a stale copy of the bar
    rows = [dict(GOOD_ROW, id=f"r{i}") for i in range(700)]
    (tmp_path / "p.jsonl").write_text(_jsonl(*rows) + "{broken\n", encoding="utf-8")
    (tmp_path / "en-de.txt").write_text("house Haus\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["generate", str(tmp_path / "p.jsonl"), "--lexicon", str(tmp_path / "en-de.txt"),
                                  "--out", str(tmp_path / "o.jsonl")])  # progress bar on
    assert r.exit_code == 1
    assert "generate" in r.output  # the bar was shown
    lines = [x for x in r.output.replace("\r", "\n").splitlines() if x.strip()]
    assert lines[-1].startswith("Error: ") and "p.jsonl:701" in lines[-1], r.output
    assert sum("Error:" in x for x in lines) == 1
