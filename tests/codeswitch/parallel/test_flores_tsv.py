"""Parallel TSVs paired by index_id (FLORES via SIB-200) for `codeswitch align`; one-line errors, no output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import DataFormatError
from codeswitch.parallel.bitext import read_alignment_dir, read_tsv_pairs

HEADER = "index_id\tcategory\ttext"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return path


def _one_line_error(result, expected: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], result.output


def test_rows_pair_by_index_id_not_line_order(tmp_path: Path) -> None:
    en = _write(tmp_path / "en.tsv", [HEADER, '7\tscience\tThe "big" house.', "3\ttravel\tA small book."])
    # other order, extra column, columns in another order: still paired by index_id
    ha = _write(tmp_path / "ha.tsv", ["text\tindex_id\tnote", "Karamin littafi.\t3\tx", 'Babban "gida".\t7\ty'])
    pairs = read_tsv_pairs(en, ha, "en", "ha")
    assert [(p.id, p.src, p.tgt) for p in pairs] == [
        ("7", 'The "big" house.', 'Babban "gida".'),  # quotes are text, not TSV quoting
        ("3", "A small book.", "Karamin littafi."),
    ]
    assert {(p.src_lang, p.tgt_lang) for p in pairs} == {("en", "ha")}
    # a plain "id" column works too
    a = _write(tmp_path / "a.tsv", ["id\ttext", "x\tone"])
    b = _write(tmp_path / "b.tsv", ["id\ttext", "x\tdaya"])
    assert [(p.id, p.tgt) for p in read_tsv_pairs(a, b, "en", "ha")] == [("x", "daya")]


@pytest.mark.parametrize(("src", "tgt", "message"), [
    (["index_id\tcategory", "1\tx"], [HEADER, "1\tx\tdaya"],
     "en.tsv:1: expected a header line with an index_id (or id) column and a text column, found 'index_id', "
     "'category'"),
    (["1\tx\tone"], [HEADER, "1\tx\tdaya"], "en.tsv:1: expected a header line"),
    ([], [HEADER, "1\tx\tdaya"], "en.tsv:1: expected a header line with an index_id (or id) column and a text "
     "column, found an empty file"),
    ([HEADER], [HEADER, "1\tx\tdaya"], "en.tsv: no rows after the header"),
    ([HEADER, "1\tx\tone\textra"], [HEADER, "1\tx\tdaya"],
     "en.tsv:2: expected 3 tab-separated fields (index_id, category, text), found 4"),
    ([HEADER, "1\tx\tone"], [HEADER, "\tx\tdaya"], "ha.tsv:2: empty index_id"),
    ([HEADER, "1\tx\tone", "1\tx\tagain"], [HEADER, "1\tx\tdaya"], "en.tsv:3: index_id '1' repeats line 2"),
    ([HEADER, "1\tx\tone", "2\tx\ttwo", "3\tx\tthree"], [HEADER, "1\tx\tdaya"],
     "en.tsv:3: index_id '2' has no row in"),
    ([HEADER, "1\tx\tone"], [HEADER, "1\tx\tdaya", "5\tx\tbiyar"], "ha.tsv:3: index_id '5' has no row in"),
])
def test_bad_tsv_names_file_and_line(tmp_path: Path, src, tgt, message) -> None:
    en, ha = _write(tmp_path / "en.tsv", src), _write(tmp_path / "ha.tsv", tgt)
    with pytest.raises(DataFormatError) as exc:
        read_tsv_pairs(en, ha, "en", "ha")
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_ids_are_counted(tmp_path: Path) -> None:
    en = _write(tmp_path / "en.tsv", [HEADER, "1\tx\tone", "2\tx\ttwo", "3\tx\tthree"])
    ha = _write(tmp_path / "ha.tsv", [HEADER, "1\tx\tdaya"])
    with pytest.raises(DataFormatError, match=r"index_id '2' has no row in .*ha.tsv \(2 ids in all\); parallel "
                                              r"TSVs need the same ids on both sides"):
        read_tsv_pairs(en, ha, "en", "ha")


def test_cli_aligns_a_real_flores_slice_by_index_id(shared_data: Path, tmp_path: Path) -> None:
    flores = shared_data / "flores-sib200"
    en_rows = (flores / "eng_Latn.train.tsv").read_text(encoding="utf-8").splitlines()[:21]
    ha_rows = (flores / "hau_Latn.train.tsv").read_text(encoding="utf-8").splitlines()[:21]
    en = _write(tmp_path / "eng_Latn.train.tsv", en_rows)
    ha = _write(tmp_path / "hau_Latn.train.tsv", [ha_rows[0], *reversed(ha_rows[1:])])  # rows in another order
    out = tmp_path / "al"
    r = CliRunner().invoke(main, ["align", f"en={en}", f"ha={ha}", "--out", str(out), "--no-progress",
                                  "--rel-iterations", "0.2"])
    assert r.exit_code == 0, r.output
    assert "aligned 20 sentence pairs (en-ha)" in r.output
    rows = [json.loads(x) for x in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    by_id = {x.split("\t")[0]: x.split("\t")[2] for x in ha_rows[1:]}
    assert [x["id"] for x in rows] == [x.split("\t")[0] for x in en_rows[1:]]  # English order
    assert all(x["tgt"] == by_id[x["id"]] for x in rows)
    assert rows[0]["src"].startswith("Turkey is encircled by seas") and rows[0]["tgt"].startswith("Kasar turkiya")
    aps = list(read_alignment_dir(out))
    assert len(aps) == 20 and all(i < len(ap.src_tokens) and j < len(ap.tgt_tokens) for ap in aps for i, j in ap.links)


def test_cli_tsv_errors_are_one_line_and_leave_no_output(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "al"
    en = _write(tmp_path / "en.tsv", [HEADER, "1\tx\tone", "2\tx\ttwo"])
    ha = _write(tmp_path / "ha.tsv", [HEADER, "1\tx\tdaya"])
    _one_line_error(runner.invoke(main, ["align", f"en={en}", f"ha={ha}", "--out", str(out)]),
                    "en.tsv:3: index_id '2' has no row in")
    bad = _write(tmp_path / "bad.tsv", ["id\tsentence", "1\tdaya"])
    _one_line_error(runner.invoke(main, ["align", f"en={en}", f"ha={bad}", "--out", str(out)]),
                    "bad.tsv:1: expected a header line with an index_id (or id) column and a text column")
    txt = _write(tmp_path / "ha.txt", ["daya", "biyu"])
    _one_line_error(runner.invoke(main, ["align", f"en={en}", f"ha={txt}", "--out", str(out)]),
                    "SOURCE is en.tsv but TARGET is ha.txt; give two files of the same format")
    assert not out.exists() and not (tmp_path / "al.checkpoints").exists()
