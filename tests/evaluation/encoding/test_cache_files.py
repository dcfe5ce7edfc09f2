"""Issue 23: a damaged embedding-cache file (``--cache-dir``) is re-encoded with a note, never used as is.

Before, a truncated ``.npy`` was a traceback and a cache with fewer rows than its texts was used as
is (nDCG 0.039 instead of 0.509). The encoder here is a :class:`DenseEncoder` whose model is the
numpy keyword encoder, so only the cache logic runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from codeswitch.errors import DataFormatError
from evaluation.encoding.dense import DenseEncoder, EncoderConfig, read_cached
from tests.evaluation.helpers import KeywordEncoder

TEXTS = [f"Nairobi ni mji mkuu wa Kenya, sehemu {i}" for i in range(6)]


def _encoder(tmp_path) -> tuple[DenseEncoder, list[int]]:
    keyword, calls = KeywordEncoder(dim=16), []
    enc = DenseEncoder.__new__(DenseEncoder)  # no model load: the cache is what is under test
    enc.config = EncoderConfig(model="keyword", batch_size=4)
    enc.dim, enc.fingerprint, enc.cache_dir = 16, "f" * 64, tmp_path / "cache"
    enc.query_prefix = enc.passage_prefix = ""
    enc._encode_fn = lambda texts, prefix, bs, norm, bar: calls.append(len(texts)) or keyword.encode_passages(texts)
    return enc, calls


def _damage_truncate(path):
    path.write_bytes(path.read_bytes()[:-40])


def _damage_empty(path):
    path.write_bytes(b"")


def _damage_fewer_rows(path):
    np.save(path, np.load(path)[:2])


def _damage_not_npy(path):
    path.write_bytes(b"not an array at all")


def _damage_nan(path):
    arr = np.load(path)
    arr[0, 0] = np.nan
    np.save(path, arr)


def _damage_float64(path):
    np.save(path, np.load(path).astype(np.float64))


DAMAGES = [_damage_truncate, _damage_empty, _damage_fewer_rows, _damage_not_npy, _damage_nan, _damage_float64]


@pytest.mark.parametrize("damage", DAMAGES, ids=[f.__name__[8:] for f in DAMAGES])
def test_damaged_cache_file_is_re_encoded_with_a_note(tmp_path, capsys, damage):
    enc, calls = _encoder(tmp_path)
    first = enc.encode_passages(TEXTS)
    (path,) = (tmp_path / "cache").rglob("*.npy")
    assert enc.encode_passages(TEXTS).tolist() == first.tolist() and calls == [6]  # a whole cache is reused
    damage(path)
    capsys.readouterr()
    again = enc.encode_passages(TEXTS)
    assert np.array_equal(again, first) and calls == [6, 6]  # re-encoded, not the damaged rows
    err = capsys.readouterr().err
    assert str(path) in err and "re-encoding" in err, err
    assert np.array_equal(np.load(path), first)  # and written again, whole
    enc.encode_passages(TEXTS)
    assert calls == [6, 6]


def test_cache_of_another_width_is_still_an_error(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((6, 7), dtype=np.float32))
    with pytest.raises(DataFormatError, match="have dimension 7 but encoder 'm' outputs 16"):
        read_cached(path, 6, 16, "m")


def test_missing_cache_file_is_a_silent_miss(tmp_path, capsys):
    assert read_cached(tmp_path / "none.npy", 3, 16, "m") is None
    assert capsys.readouterr().err == ""
