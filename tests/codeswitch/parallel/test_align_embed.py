"""SimAlign-style backend: a tiny random XLM-R (real tokenizer) through `codeswitch align --backend simalign`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from codeswitch.parallel.bitext import read_alignment_dir
from codeswitch.parallel.cli import align


def test_simalign_backend_links_within_bounds(tiny_xlmr: Path, tmp_path: Path) -> None:
    en = tmp_path / "c.en"
    de = tmp_path / "c.de"
    en.write_text("How many points did the Panthers defense surrender?\nThe house is small.\n", encoding="utf-8")
    de.write_text("Wie viele Punkte gab die Verteidigung der Panthers ab?\nDas Haus ist klein.\n", encoding="utf-8")
    out = tmp_path / "al"
    r = CliRunner().invoke(align, [str(en), str(de), "--out", str(out), "--backend", "simalign", "--model",
                                   str(tiny_xlmr), "--layer", "8", "--no-progress"])
    assert r.exit_code == 0, r.output
    for method in ("forward", "reverse", "intersect", "grow-diag-final-and"):
        aps = list(read_alignment_dir(out, method))
        assert len(aps) == 2
        for ap in aps:
            assert all(0 <= i < len(ap.src_tokens) and 0 <= j < len(ap.tgt_tokens) for i, j in ap.links)
    fwd = list(read_alignment_dir(out, "forward"))
    # argmax gives every source word exactly one forward link
    assert [sorted({i for i, _ in ap.links}) for ap in fwd] == [list(range(len(ap.src_tokens))) for ap in fwd]


def test_simalign_needs_model(tmp_path: Path) -> None:
    en = tmp_path / "c.en"
    de = tmp_path / "c.de"
    en.write_text("a\n", encoding="utf-8")
    de.write_text("b\n", encoding="utf-8")
    r = CliRunner().invoke(align, [str(en), str(de), "--out", str(tmp_path / "o"), "--backend", "simalign"])
    assert r.exit_code != 0
    assert "--backend simalign needs --model (a local multilingual encoder dir or hub id)" in str(r.exception)
