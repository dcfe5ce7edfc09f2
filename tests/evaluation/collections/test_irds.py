"""``irds:<id>`` collections through the real ir_datasets package, offline: a collection registered from local
files (ir_datasets' own TsvDocs / TsvQueries / TrecQrels readers), so no download is faked or attempted."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError
from evaluation.collections.irds import load_irds
from evaluation.collections.registry import parse_id
from tests.evaluation.helpers import DOCS, QRELS, TOPICS


@pytest.fixture(scope="module")
def local_irds(tmp_path_factory):
    """Register ``codeswitch-test/sw`` (and one with a missing queries file) from local TSV files."""
    ir_datasets = pytest.importorskip("ir_datasets")
    from ir_datasets.datasets.base import Dataset
    from ir_datasets.formats import TrecQrels, TsvDocs, TsvQueries
    from ir_datasets.util import LocalDownload

    root = tmp_path_factory.mktemp("irds")
    (root / "docs.tsv").write_text("".join(f"{d}\t{t} {x}\n" for d, t, x in DOCS), encoding="utf-8")
    (root / "queries.tsv").write_text("".join(f"{q}\t{t}\n" for q, t in TOPICS.items()), encoding="utf-8")
    (root / "qrels.txt").write_text("".join(f"{q} 0 {d} {g}\n" for q, j in QRELS.items() for d, g in j.items()),
                                    encoding="utf-8")
    for name, queries in (("codeswitch-test/sw", root / "queries.tsv"), ("codeswitch-test/broken", root / "none")):
        if name not in ir_datasets.registry:
            ir_datasets.registry.register(name, Dataset(
                TsvDocs(LocalDownload(root / "docs.tsv"), lang="sw"),
                TsvQueries(LocalDownload(queries, mkdir=False), lang="sw"),
                TrecQrels(LocalDownload(root / "qrels.txt"), {0: "not relevant", 1: "relevant"})))
    return root


def test_irds_collection_end_to_end(local_irds, tmp_path):
    task = load_irds("irds:codeswitch-test/sw")
    assert (task.query_lang, task.passage_lang, task.lang) == ("sw", "sw", "sw")  # queries_lang() / docs_lang()
    assert set(task.topics) == set(QRELS) and task.qrels == QRELS  # judged queries only (q4 has none)
    assert [d for d, _, _ in task.iter_corpus()] == [d for d, _, _ in DOCS]
    assert load_irds("irds:codeswitch-test/sw", passage_lang="en").lang == "sw-en"  # options override
    assert [str(p) for p in task.corpus_files] == ["irds:codeswitch-test/sw"]  # named in corpus errors
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["evaluate", "--model", "bm25", "--dataset", "irds:codeswitch-test/sw",
                                  "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    m = json.loads((out / "metrics.json").read_text())["datasets"]["irds:codeswitch-test/sw"]["per_lang"]["sw"]
    assert m["n_queries"] == 3 and m["ndcg@10"] == pytest.approx(1.0)  # each judged query finds its passage first


def test_irds_errors_are_one_line(local_irds, monkeypatch):
    assert parse_id("irds:miracl/sw/dev") == ("irds", None, None)
    with pytest.raises(ConfigError, match="ir_datasets knows no dataset 'no/such/id'; see https://ir-datasets.com"):
        load_irds("irds:no/such/id")
    with pytest.raises(ConfigError, match=r"irds:codeswitch-test/broken: could not load its queries and qrels "
                                          r"\(FileNotFoundError.*run this once with network access"):
        load_irds("irds:codeswitch-test/broken")
    with pytest.raises(ConfigError, match="give an ir_datasets id after irds:"):
        load_irds("irds:")
    monkeypatch.setitem(sys.modules, "ir_datasets", None)  # as if the package were not installed
    with pytest.raises(ConfigError, match=r"irds:miracl/sw/dev: the ir_datasets package is not installed; "
                                          r"pip install 'codeswitch\[irds\]'"):
        load_irds("irds:miracl/sw/dev")
