from __future__ import annotations

import re

import pytest

from codeswitch.errors import ConfigError, DataFormatError
from evaluation.collections.registry import MIRACL_LANGS, resolve
from evaluation.trec_io import read_qrels, read_run, read_topics

# Published MIRACL dev sizes (#queries, #judgments): MIRACL README, papers.md section 2.
MIRACL_DEV = {"ar": (2896, 29197), "bn": (411, 4206), "en": (799, 8350), "es": (648, 6443), "fa": (632, 6571),
              "fi": (1271, 12008), "fr": (343, 3429), "hi": (350, 3494), "id": (960, 9668), "ja": (860, 8354),
              "ko": (213, 3057), "ru": (1252, 13100), "sw": (482, 5092), "te": (828, 1606), "th": (733, 7573),
              "zh": (393, 3928), "de": (305, 3144), "yo": (119, 1188)}


def test_every_miracl_dev_file_has_published_counts(shared_data):
    res = resolve("miracl/dev", shared_data)
    assert [t.lang for t in res.tasks] == list(MIRACL_LANGS["dev"])
    for t in res.tasks:
        assert (len(t.topics), sum(len(j) for j in t.qrels.values())) == MIRACL_DEV[t.lang], t.lang
        assert t.corpus_files == ()  # no corpora in shared/data


def test_mrtydi_and_langs_restriction(shared_data):
    res = resolve("mrtydi/test", shared_data, langs=("sw", "te"))
    counts = {t.lang: (len(t.topics), sum(len(j) for j in t.qrels.values())) for t in res.tasks}
    assert counts == {"sw": (670, 743), "te": (646, 677)}  # anserini-tools Mr.TyDi v1.1 (gzipped topics)


def test_unknown_ids_and_languages():
    with pytest.raises(ConfigError, match=re.escape("did you mean miracl/sw/dev")):
        resolve("miracl/sw/deev")
    with pytest.raises(ConfigError, match="unknown dataset id 'xquadr'.*did you mean xquad-r"):
        resolve("xquadr")
    with pytest.raises(ConfigError, match="language 'el' is not in mlqa-r.*available: ar de en es hi vi zh"):
        resolve("mlqa-r", langs=("el",))
    with pytest.raises(ConfigError, match="language 'xx' is not in miracl/dev \\(not an ISO code"):
        resolve("miracl/dev", langs=("xx",))


def test_trec_parse_errors(tmp_path):
    bad_topics = tmp_path / "t.tsv"
    bad_topics.write_text("q1\thello\nq2 no tab here\n")
    with pytest.raises(DataFormatError, match=r"t.tsv:2: expected 'qid<TAB>query'"):
        read_topics(bad_topics)
    bad_qrels = tmp_path / "q.txt"
    bad_qrels.write_text("q1 Q0 d1 1\nq1 Q0 d2\n")
    with pytest.raises(DataFormatError, match=r"q.txt:2: expected TREC qrels 'qid Q0 docid label' \(4 fields\), found"):
        read_qrels(bad_qrels)
    bad_qrels.write_text("q1 Q0 d1 yes\n")
    with pytest.raises(DataFormatError, match=r"q.txt:1: relevance label 'yes' is not an integer"):
        read_qrels(bad_qrels)
    run = tmp_path / "r.trec"
    run.write_text("q1 Q0 d1 1 2.0 x\nq1 Q0 d2 2 1.5 x\nq1 Q0 d1 3 1.0 x\n")
    with pytest.raises(DataFormatError, match=r"r.trec:3: duplicate docid 'd1' for query 'q1'"):
        read_run(run)
    (tmp_path / "bin.tsv").write_bytes(b"q1\thello\nq2\t\xff\xfe\n")
    with pytest.raises(DataFormatError, match=r"bin.tsv:2: not UTF-8"):
        read_topics(tmp_path / "bin.tsv")


def test_corpus_missing_relevant_docs_counted(tmp_path):
    from evaluation.retrieval.corpus import load_corpus
    from tests.evaluation.helpers import DOCS, write_miracl

    write_miracl(tmp_path, docs=DOCS[:3])  # drops 3#0 and 4#0, both relevant
    task = resolve("miracl/sw/dev", tmp_path).tasks[0]
    with pytest.raises(DataFormatError, match=r"lacks 2 of the 3 relevant documents named in the qrels \(e.g. 3#0"):
        load_corpus(task)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"docid": "1#0", "title": "", "text": "x"}\n{"id": 3}\n')
    task = resolve("miracl/sw/dev", tmp_path, corpus=bad).tasks[0]
    with pytest.raises(DataFormatError, match=r"bad.jsonl:2: expected a JSON object"):
        load_corpus(task)


@pytest.mark.parametrize("dataset", ["miracl/sw/dev", "xquad-r"])
def test_offline_without_data_dir_is_one_line(dataset, tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    import huggingface_hub
    import huggingface_hub.constants
    from click.testing import CliRunner
    from huggingface_hub.errors import LocalEntryNotFoundError

    from codeswitch.cli import main

    def no_hub(*a, **k):
        raise LocalEntryNotFoundError("Got: ConnectError: [Errno -2] Name or service not known\nAn error happened")

    def no_net(*a, **k):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", no_hub)
    monkeypatch.setattr(urllib.request, "urlretrieve", no_net)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HOME", str(tmp_path / "hf"))
    r = CliRunner().invoke(main, ["evaluate", "--model", "bm25", "--dataset", dataset, "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and not isinstance(r.exception, (LocalEntryNotFoundError, urllib.error.URLError))
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.output
    assert "could not download it from" in lines[0] and "offline, pass local files with --data-dir DIR" in lines[0]
    assert not (tmp_path / "o").exists()
