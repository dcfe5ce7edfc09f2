"""Word alignment: symmetrisation by hand, Pharaoh I/O, eflomal on real XQuAD en-de, CLI and errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from codeswitch.errors import CodeswitchError
from codeswitch.parallel.align import AlignConfig, eflomal_align, format_pharaoh, parse_pharaoh, symmetrize
from codeswitch.parallel.bitext import (
    ALIGN_FILES,
    TextPair,
    align_pairs,
    read_alignment_dir,
    units_from_items,
    write_alignment_dir,
)
from codeswitch.parallel.cli import align
from codeswitch.parallel.pairs import read_parallel
from codeswitch.tokenize import tokenize

FAST = AlignConfig(rel_iterations=0.2, n_samplers=1, chunk_size=40, prior_sentences=1000)


def test_symmetrize_by_hand() -> None:
    fwd = [(0, 0), (1, 1), (2, 1), (3, 3)]
    rev = [(0, 0), (1, 1), (2, 2), (3, 2)]
    assert symmetrize(fwd, rev, "intersect") == [(0, 0), (1, 1)]
    assert symmetrize(fwd, rev, "union") == [(0, 0), (1, 1), (2, 1), (2, 2), (3, 2), (3, 3)]
    # grow: (2,1) neighbours (1,1) and covers unaligned source 2; (2,2) then covers target 2;
    # (3,2)/(3,3) neighbour (2,2) and cover source 3 / target 3
    assert symmetrize(fwd, rev, "grow-diag-final-and") == [(0, 0), (1, 1), (2, 1), (2, 2), (3, 2), (3, 3)]
    # final-and: a non-neighbouring union link is added only if both its words are unaligned
    assert symmetrize([(0, 0), (3, 3)], [(0, 0), (3, 2)], "grow-diag-final-and") == [(0, 0), (3, 2)]
    with pytest.raises(CodeswitchError, match=r"--symmetrize must be one of grow-diag-final-and, intersect"):
        symmetrize(fwd, rev, "gdfa")


def test_pharaoh_round_trip_and_bounds() -> None:
    links = [(2, 1), (0, 0), (1, 2)]
    line = format_pharaoh(links)
    assert line == "0-0 1-2 2-1"
    assert parse_pharaoh(line, 3, 3) == [(0, 0), (1, 2), (2, 1)]
    with pytest.raises(CodeswitchError, match=r"a.align:4: link '1-3' exceeds the sentence length \(3 source, 3 "
                                              r"target tokens\); the alignment does not match the text"):
        parse_pharaoh("0-0 1-3", 3, 3, "a.align", 4)
    with pytest.raises(CodeswitchError, match=r"link '0:1' is not Pharaoh 'i-j'"):
        parse_pharaoh("0:1", 3, 3)


@pytest.fixture(scope="module")
def xquad_en_de(shared_data: Path):
    items = read_parallel([str(shared_data / "xquad" / "xquad.en.json"), str(shared_data / "xquad" / "xquad.de.json")])
    # questions of the first 80 items: real en-de text, small enough for a fast test
    return [p for p in units_from_items(items[:80], "en", "de") if p.id.startswith("q:")]


def test_eflomal_real_xquad_links_within_bounds(xquad_en_de, tmp_path: Path) -> None:
    assert len(xquad_en_de) == 80
    out = tmp_path / "al"
    stats = write_alignment_dir(out, xquad_en_de, FAST)
    assert stats["pairs"] == 80 and stats["pairs_per_second"] > 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.align" for n in ALIGN_FILES] + ["pairs.jsonl", "src.tok", "tgt.tok", "align_config.json",
                                               "align_stats.json"])
    per_method = {m: list(read_alignment_dir(out, m)) for m in ALIGN_FILES}
    for aps in per_method.values():
        assert len(aps) == 80
        for ap in aps:
            assert ap.src_tokens == tuple(tokenize(ap.pair.src, "en"))
            assert all(0 <= i < len(ap.src_tokens) and 0 <= j < len(ap.tgt_tokens) for i, j in ap.links)
    n = {m: sum(len(ap.links) for ap in aps) for m, aps in per_method.items()}
    assert n["intersect"] <= n["grow-diag-final-and"] <= n["forward"] + n["reverse"]
    for a, b, c in zip(per_method["intersect"], per_method["grow-diag-final-and"], per_method["forward"], strict=True):
        assert set(a.links) <= set(b.links) and set(a.links) <= set(c.links)
    # the question mark ends both questions and aligns to itself (eflomal has no seed: count, don't pin one)
    gdfa = per_method["grow-diag-final-and"]
    assert sum((len(a.src_tokens) - 1, len(a.tgt_tokens) - 1) in a.links for a in gdfa) >= 60
    # the tokens file is the eflomal input: one line per pair, tokens space separated
    assert (out / "src.tok").read_text(encoding="utf-8").splitlines()[0] == "How many points did the Panthers " \
        "defense surrender ?"


def test_chunks_share_priors_and_keep_order(xquad_en_de) -> None:
    cfg = AlignConfig(rel_iterations=0.2, n_samplers=1, chunk_size=15, prior_sentences=80, workers=2)
    got = list(align_pairs(xquad_en_de, cfg))
    assert [g[0].id for g in got] == [p.id for p in xquad_en_de]  # input order despite 2 workers
    assert all(fwd and rev for _, _, _, fwd, rev in got)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return path


def test_cli_align_text_files(tmp_path: Path) -> None:
    en = _write(tmp_path / "c.en", ["the house is small .", "the book is big .", "a small house"])
    de = _write(tmp_path / "c.de", ["das Haus ist klein .", "das Buch ist groß .", "ein kleines Haus"])
    out = tmp_path / "al"
    r = CliRunner().invoke(align, [str(en), str(de), "--out", str(out), "--no-progress", "--rel-iterations", "0.2"])
    assert r.exit_code == 0, r.output
    assert "aligned 3 sentence pairs (en-de)" in r.output
    rows = [json.loads(x) for x in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0] == {"id": "1", "src_lang": "en", "tgt_lang": "de", "src": "the house is small .",
                       "tgt": "das Haus ist klein ."}
    assert json.loads((out / "align_config.json").read_text())["symmetrize"] == "grow-diag-final-and"


def test_cli_align_xquad_json(shared_data: Path, tmp_path: Path) -> None:
    # a 3-article slice of real XQuAD en/de, written as SQuAD files
    for lang in ("en", "de"):
        data = json.loads((shared_data / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        data["data"] = [{"title": a["title"], "paragraphs": a["paragraphs"][:1]} for a in data["data"][:3]]
        (tmp_path / f"x.{lang}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "al"
    r = CliRunner().invoke(align, [str(tmp_path / "x.en.json"), str(tmp_path / "x.de.json"), "--out", str(out),
                                   "--no-progress", "--rel-iterations", "0.2"])
    assert r.exit_code == 0, r.output
    aps = list(read_alignment_dir(out))
    n_q = sum(1 for ap in aps if ap.pair.id.startswith("q:"))
    assert sum(1 for ap in aps if ap.pair.id.startswith("p:")) == 3 and n_q >= 3
    assert all(i < len(ap.src_tokens) and j < len(ap.tgt_tokens) for ap in aps for i, j in ap.links)


def test_mismatched_counts_error_no_output(tmp_path: Path) -> None:
    en = _write(tmp_path / "c.en", ["a", "b", "c"])
    de = _write(tmp_path / "c.de", ["a", "b"])
    out = tmp_path / "al"
    r = CliRunner().invoke(align, [str(en), str(de), "--out", str(out), "--no-progress"])
    assert r.exit_code != 0
    assert "c.en: 3 lines but" in str(r.exception) and "has 2; parallel files need one translation per line" in str(
        r.exception)
    assert not out.exists()


def test_untokenizable_text_error_no_output(tmp_path: Path) -> None:
    with pytest.raises(CodeswitchError, match=r"\(pair 2\): text '   ' in de has no tokens and cannot be aligned"):
        write_alignment_dir(tmp_path / "al", [TextPair("1", "en", "de", "a b", "a b"),
                                              TextPair("2", "en", "de", "a b", "   ")], FAST)
    assert not (tmp_path / "al").exists() and list(tmp_path.iterdir()) == []


def test_unknown_language_cli(tmp_path: Path) -> None:
    en = _write(tmp_path / "c.en", ["a"])
    de = _write(tmp_path / "c.de", ["a"])
    r = CliRunner().invoke(align, [f"xx={en}", str(de), "--out", str(tmp_path / "o"), "--no-progress"])
    assert r.exit_code != 0 and "unknown language 'xx'" in str(r.exception)


def test_alignment_index_beyond_sentence(tmp_path: Path) -> None:
    en = _write(tmp_path / "c.en", ["the house", "a book"])
    de = _write(tmp_path / "c.de", ["das Haus", "ein Buch"])
    out = tmp_path / "al"
    r = CliRunner().invoke(align, [str(en), str(de), "--out", str(out), "--no-progress", "--rel-iterations", "0.2"])
    assert r.exit_code == 0, r.output
    (out / "grow-diag-final-and.align").write_text("0-0 1-1\n0-0 1-2\n", encoding="utf-8")
    with pytest.raises(CodeswitchError, match=r"grow-diag-final-and.align:2: link '1-2' exceeds the sentence length "
                                              r"\(2 source, 2 target tokens\)"):
        list(read_alignment_dir(out))
    (out / "grow-diag-final-and.align").write_text("0-0 1-1\n", encoding="utf-8")
    with pytest.raises(CodeswitchError, match=r"pairs.jsonl has more lines than the other file after line 1"):
        list(read_alignment_dir(out))


def _counting_eflomal(monkeypatch, fail_at: int | None = None) -> list[int]:
    """Count eflomal runs (priors pass included); raise a crash at run ``fail_at`` (1-based)."""
    import codeswitch.parallel.align as align_mod

    real, calls = align_mod.eflomal_align, []

    def counted(*args, **kwargs):
        calls.append(len(args[0]))
        if fail_at is not None and len(calls) == fail_at:
            raise RuntimeError("simulated crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(align_mod, "eflomal_align", counted)
    return calls


def test_checkpoint_reuses_finished_chunks_and_realigns_changed_input(xquad_en_de, tmp_path, monkeypatch) -> None:
    from codeswitch.parallel.align import AlignCheckpoint

    cfg = AlignConfig(rel_iterations=0.2, n_samplers=1, chunk_size=20, prior_sentences=80)
    ckpt = tmp_path / "ck"
    first = list(align_pairs(xquad_en_de, cfg, checkpoint=AlignCheckpoint(ckpt, cfg)))
    assert sorted(p.name for p in ckpt.iterdir()) == [f"chunk-{i:07d}.links" for i in range(4)] + ["priors.txt"]
    (ckpt / "chunk-0000002.links").unlink()  # never finished
    text = (ckpt / "chunk-0000003.links").read_text(encoding="utf-8")
    (ckpt / "chunk-0000003.links").write_text(text[:-5], encoding="utf-8")  # cut short
    calls = _counting_eflomal(monkeypatch)
    again = AlignCheckpoint(ckpt, cfg)
    second = list(align_pairs(xquad_en_de, cfg, checkpoint=again))
    assert calls == [20, 20] and again.reused_priors and again.reused_chunks == 2  # only chunks 2 and 3 rerun
    links = lambda got: [(sorted(g[3]), sorted(g[4])) for g in got[:40]]  # noqa: E731
    assert links(second) == links(first)  # reused links are the saved ones
    assert [g[0] for g in second] == [g[0] for g in first]
    # one changed question in chunk 1: that chunk is aligned again, chunk 0 is still reused
    changed = list(xquad_en_de)
    changed[25] = TextPair(changed[25].id, "en", "de", changed[25].src + " again", changed[25].tgt)
    calls.clear()
    third = AlignCheckpoint(ckpt, AlignConfig(rel_iterations=0.2, n_samplers=1, chunk_size=20, prior_sentences=0))
    list(align_pairs(changed, AlignConfig(rel_iterations=0.2, n_samplers=1, chunk_size=20, prior_sentences=0),
                     checkpoint=third))
    assert len(calls) == 4 and third.reused_chunks == 0  # no priors now: every key differs, nothing reused
    calls.clear()
    fourth = AlignCheckpoint(ckpt, cfg)
    list(align_pairs(changed, cfg, checkpoint=fourth))
    assert fourth.reused_priors is False and len(calls) == 5  # the priors' input changed, so all chunks too


def test_cli_align_resume_after_crash(xquad_en_de, tmp_path, monkeypatch) -> None:
    en = _write(tmp_path / "q.en", [p.src for p in xquad_en_de])
    de = _write(tmp_path / "q.de", [p.tgt for p in xquad_en_de])
    out = tmp_path / "al"
    args = [str(en), str(de), "--out", str(out), "--no-progress", "--rel-iterations", "0.2", "--chunk-size", "20",
            "--prior-sentences", "80"]
    # runs: priors, chunks 0, 1 and 2, then the crash on the last chunk (nothing is queued behind it)
    calls = _counting_eflomal(monkeypatch, fail_at=5)
    r = CliRunner().invoke(align, args)
    assert r.exit_code != 0 and "simulated crash" in str(r.exception)
    ckpt = tmp_path / "al.checkpoints"
    assert not out.exists() and len(calls) == 5 and sorted(p.name for p in ckpt.iterdir()) == [
        "chunk-0000000.links", "chunk-0000001.links", "chunk-0000002.links", "priors.txt"]
    r = CliRunner().invoke(align, args)
    assert "al.checkpoints holds an interrupted eflomal alignment; pass --resume" in str(r.exception)
    calls = _counting_eflomal(monkeypatch)
    r = CliRunner().invoke(align, [*args, "--resume"])
    assert r.exit_code == 0, r.output
    assert calls == [20] and "3 chunks reused" in r.output  # chunk 3 only; priors from disk
    stats = json.loads((out / "align_stats.json").read_text())
    assert stats["pairs"] == 80 and stats["reused_priors"] and stats["reused_chunks"] == 3
    assert len((out / "grow-diag-final-and.align").read_text().splitlines()) == 80 and not ckpt.exists()
    # a data error in a fresh run leaves no checkpoint folder behind
    bad = _write(tmp_path / "b.de", [*(p.tgt for p in xquad_en_de[:79]), "   "])
    r = CliRunner().invoke(align, [str(en), str(bad), "--out", str(tmp_path / "b"), "--no-progress"])
    assert r.exit_code == 1 and not (tmp_path / "b").exists() and not (tmp_path / "b.checkpoints").exists()


def test_sigterm_keeps_checkpoints_and_no_partial_output(shared_data: Path, tmp_path: Path) -> None:
    """A real `codeswitch align` process stopped by SIGTERM (as schedulers do) resumes with --resume."""
    import os
    import signal
    import subprocess
    import sys
    import time

    items = read_parallel([str(shared_data / "xquad" / "xquad.en.json"), str(shared_data / "xquad" / "xquad.de.json")])
    qs = [p for p in units_from_items(items[:600], "en", "de") if p.id.startswith("q:")]
    en, de = _write(tmp_path / "q.en", [p.src for p in qs]), _write(tmp_path / "q.de", [p.tgt for p in qs])
    cmd = [sys.executable, "-c", "from codeswitch.cli import main; main()", "align", str(en), str(de),
           "--out", str(tmp_path / "al"), "--chunk-size", "10", "--prior-sentences", "100",
           "--rel-iterations", "0.2", "--no-progress"]
    ckpt = tmp_path / "al.checkpoints"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not (ckpt / "chunk-0000000.links").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Aborted" in out, out
    assert sorted(os.listdir(tmp_path)) == ["al.checkpoints", "q.de", "q.en"]  # no output, no hidden temp dir
    saved = len(list(ckpt.glob("chunk-*.links")))
    assert 1 <= saved < 60 and (ckpt / "priors.txt").is_file()
    done = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{saved} chunks reused" in done.stdout and not ckpt.exists()
    assert len((tmp_path / "al" / "grow-diag-final-and.align").read_text().splitlines()) == 600


def test_eflomal_files_stay_out_of_the_system_temp_folder(tmp_path: Path, monkeypatch) -> None:
    # issue 12: eflomal.Aligner.align() put its inputs in /tmp via NamedTemporaryFile; a kill -9 left them there
    import tempfile

    from codeswitch import atomic

    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    dead = subprocess_dead_pid()
    (system_tmp / f"codeswitch-eflomal-{dead}@{atomic._HOST}-x").mkdir()  # a killed run's folder
    en = _write(tmp_path / "c.en", ["the house is small .", "the book is big ."])
    de = _write(tmp_path / "c.de", ["das Haus ist klein .", "das Buch ist groß ."])
    seen: list[str] = []
    real = atomic.make_scratch

    def spy(kind, parent=None):
        path = real(kind, parent)
        seen.append(str(path))
        return path

    monkeypatch.setattr(atomic, "make_scratch", spy)
    r = CliRunner().invoke(align, [str(en), str(de), "--out", str(tmp_path / "al"), "--no-progress",
                                   "--rel-iterations", "0.2", "--prior-sentences", "1"])
    assert r.exit_code == 0, r.output
    assert seen and all(s.startswith(str(tmp_path / "al.checkpoints")) for s in seen)  # beside the run
    assert os.listdir(system_tmp) == [f"codeswitch-eflomal-{dead}@{atomic._HOST}-x"]  # nothing new there
    eflomal_align(["a b", "c d"], ["x y", "z w"], AlignConfig(rel_iterations=0.2))  # no work_dir: system temp
    assert os.listdir(system_tmp) == []  # ... and the stale folder of the dead run is swept


def subprocess_dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_align_progress_moves_through_the_priors_pass(tmp_path: Path) -> None:
    # issue 12: the bar showed "0pairs [00:00]" through the priors pass and no total
    en = _write(tmp_path / "c.en", ["the house is small .", "the book is big .", "a small house"])
    de = _write(tmp_path / "c.de", ["das Haus ist klein .", "das Buch ist groß .", "ein kleines Haus"])
    r = CliRunner().invoke(align, [str(en), str(de), "--out", str(tmp_path / "al"), "--rel-iterations", "0.2",
                                   "--prior-sentences", "2", "--chunk-size", "1"])
    assert r.exit_code == 0, r.output
    assert "training priors on 2 pairs" in r.output and "3/3" in r.output
