from __future__ import annotations

import json

import pytest

from codeswitch.errors import DataFormatError
from codeswitch.example_io import dumps, iter_examples, read_examples, write_examples
from codeswitch.records import Example, Switch, example_from_dict


def _ex(i: int = 0) -> Example:
    return Example(
        id=f"r{i}", pair_id=f"p{i}", query="wo ist das Haus", passage="The house is here.",
        query_lang="en", passage_lang="en", kind="codeswitch",
        switches=(Switch("query", 0, 2, "where", "de", "lexicon"), Switch("query", 3, 7, "is", "de", "lexicon")),
        meta={"seed": 13},
    )


def test_roundtrip_jsonl(tmp_path):
    path = tmp_path / "out.jsonl"
    assert write_examples([_ex(0), _ex(1)], path) == 2
    back = read_examples(path)
    assert back == [_ex(0), _ex(1)]
    assert path.read_text(encoding="utf-8").splitlines()[0] == dumps(_ex(0))


@pytest.mark.parametrize("suffix", [".parquet", ""])
def test_roundtrip_parquet_and_hf(tmp_path, suffix):
    path = tmp_path / ("out" + suffix)
    write_examples([_ex(0), _ex(1)], path)
    assert read_examples(path) == [_ex(0), _ex(1)]


def test_missing_field_names_line_and_fields(tmp_path):
    path = tmp_path / "bad.jsonl"
    obj = _ex().to_dict()
    del obj["pair_id"]
    path.write_text(dumps(_ex()) + "\n" + json.dumps(obj) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:2: record lacks field\(s\) pair_id; present: id, kind"):
        read_examples(path)


def test_invalid_json_and_mixed_language(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:1: invalid JSON"):
        list(iter_examples(path))
    obj = _ex().to_dict() | {"query_lang": "mixed"}
    with pytest.raises(DataFormatError, match="'mixed' is not allowed"):
        example_from_dict(obj)


def test_non_utf8(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(dumps(_ex()).encode() + b"\n" + b'{"id": "\xe9"}\n')
    with pytest.raises(DataFormatError, match=r"latin1\.jsonl:2: not UTF-8"):
        read_examples(path)
