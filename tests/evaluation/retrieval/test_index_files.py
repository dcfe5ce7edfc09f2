"""Issue 23: an on-disk FAISS index (``--index-dir``) that was damaged is rebuilt with a note, never half-used.

Each case builds an index, damages one of its files the way a full disk, a cut copy or a hand edit
would, and retrieves again: the run must equal the run of a fresh in-memory index (before: a
traceback, or a silently wrong run), and stderr must say which file was wrong.
"""

from __future__ import annotations

import json

import pytest

from codeswitch.errors import DataFormatError
from evaluation.collections.registry import resolve
from evaluation.retrieval.models import DenseModel
from evaluation.retrieval.search import DenseIndex, IndexConfig, read_docids, read_shard, write_docids
from tests.evaluation.helpers import DOCS, KeywordEncoder, write_miracl


def _task(tmp_path, docs=DOCS, qrels=None):
    kw = {"qrels": qrels} if qrels else {}
    return resolve("miracl/sw/dev", write_miracl(tmp_path / "data", gz=False, docs=docs, **kw)).tasks[0]


def _model():
    return DenseModel(KeywordEncoder(), IndexConfig(shard_size=2))


def _cut(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _meta(path, **changes):
    meta = json.loads(path.read_text())
    for k, v in changes.items():
        if v is None:
            meta.pop(k)
        else:
            meta[k] = v
    path.write_text(json.dumps(meta))


DAMAGES = {
    "truncated-shard": (lambda d: _cut(d / "shard-00001.faiss"), "shard-00001.faiss"),
    "empty-shard": (lambda d: (d / "shard-00000.faiss").write_bytes(b""), "shard-00000.faiss"),
    "missing-shard": (lambda d: (d / "shard-00002.faiss").unlink(), "shard-00002.faiss"),
    "truncated-docids": (lambda d: _cut(d / "shard-00000.docids"), "shard-00000.docids"),
    "index-json-not-json": (lambda d: (d / "index.json").write_text("{\"complete\": tr"), "is not JSON"),
    "index-json-lacks-dim": (lambda d: _meta(d / "index.json", dim=None), "lacks 'dim'"),
    "index-json-sizes-wrong": (lambda d: _meta(d / "index.json", sizes=[2, 2]), "'sizes'"),
    "index-json-old-format": (lambda d: _meta(d / "index.json", format=None), "older version"),
}


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_damaged_index_is_rebuilt_with_a_note(tmp_path, capsys, damage):
    task = _task(tmp_path)
    fresh = _model().retrieve(task, 5)
    _model().retrieve(task, 5, tmp_path / "index")
    (folder,) = [p.parent for p in (tmp_path / "index").glob("*/index.json")]
    hurt, named = DAMAGES[damage]
    hurt(folder)
    capsys.readouterr()
    again = _model().retrieve(task, 5, tmp_path / "index")
    err = capsys.readouterr().err
    assert again == fresh  # before: a traceback (FAISS, JSON, KeyError) or a run over the wrong docids
    assert named in err and "rebuilt" in err, err
    reused = _model().retrieve(task, 5, tmp_path / "index")  # the rebuilt index is whole: reused silently
    assert reused == fresh and "note" not in capsys.readouterr().err


def test_docid_with_line_separator_round_trips_through_the_index(tmp_path):
    # issue 23: docids were written one a line and read back with splitlines(), which also splits at U+2028
    docs = [("1\u2028a", "Nairobi", "Nairobi ni mji mkuu wa Kenya"), *DOCS[1:], ("5\u0085b", "x", "line\nbreak id")]
    qrels = {"q1": {"1\u2028a": 1}, "q2": {"4#0": 1}}
    task = _task(tmp_path, docs=docs, qrels=qrels)
    memory = _model().retrieve(task, 5)
    disk = _model().retrieve(task, 5, tmp_path / "index")
    again = _model().retrieve(task, 5, tmp_path / "index")  # read back from the saved shards
    assert memory == disk == again
    assert "1\u2028a" in again["q1"] and max(again["q1"], key=again["q1"].get) == "1\u2028a"


def test_docids_file_round_trips_any_string(tmp_path):
    ids = ["plain", "sp ace", "line\u2028sep", "new\nline", "tab\tx", "nel\u0085", "caf\u00e9", '"quoted"', ""]
    write_docids(tmp_path / "x.docids", ids)
    assert list(read_docids(tmp_path / "x.docids", len(ids))) == ids


def test_shard_changed_after_loading_is_refused_in_one_line(tmp_path):
    """A shard that passes the size check but holds other vectors is refused when read, not half-used."""
    task = _task(tmp_path)
    _model().retrieve(task, 5, tmp_path / "index")
    (folder,) = [p.parent for p in (tmp_path / "index").glob("*/index.json")]
    write_docids(folder / "shard-00000.docids", ["a"])
    with pytest.raises(DataFormatError, match=r"shard-00000.docids: holds 1 docids but its shard holds 2 vectors"):
        read_docids(folder / "shard-00000.docids", 2)
    with pytest.raises(DataFormatError, match=r"shard-00001.faiss: holds 2 vectors of dimension 64, expected 3"):
        read_shard(folder / "shard-00001.faiss", 3, 64)
    (folder / "shard-00002.faiss").write_bytes(b"junk")
    with pytest.raises(DataFormatError, match=r"shard-00002.faiss: not a readable FAISS index.*delete"):
        read_shard(folder / "shard-00002.faiss", 1, 64)


def test_dimension_mismatch_stays_an_error(tmp_path):
    task = _task(tmp_path)
    model = _model()
    model.retrieve(task, 5, tmp_path / "index")
    (meta,) = (tmp_path / "index").glob("*/index.json")
    _meta(meta, dim=48)
    with pytest.raises(DataFormatError, match="dimension mismatch"):
        DenseIndex.load_complete(meta.parent, 64, model.index_key(task))
