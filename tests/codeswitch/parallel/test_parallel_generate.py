"""The parallel branch of generation: pairs + split + alignment switching, written with stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeswitch.errors import CodeswitchError
from codeswitch.example_io import read_examples
from codeswitch.parallel.align import AlignConfig
from codeswitch.parallel.bitext import units_from_items, write_alignment_dir
from codeswitch.parallel.pair_generate import PairConfig, generate_pairs
from codeswitch.parallel.pairs import read_parallel


@pytest.fixture(scope="module")
def small_xquad(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6-article, 1-paragraph-each slice of real XQuAD in en, de, es (SQuAD files)."""
    root = tmp_path_factory.mktemp("xq")
    for lang in ("en", "de", "es"):
        data = json.loads((shared_data / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        data["data"] = [{"title": a["title"], "paragraphs": a["paragraphs"][:1]} for a in data["data"][:6]]
        (root / f"xquad.{lang}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return root


def _inputs(root: Path) -> tuple[str, ...]:
    return tuple(str(root / f"xquad.{lg}.json") for lg in ("en", "de", "es"))


def test_pairs_with_split_written_with_stats(small_xquad: Path, tmp_path: Path) -> None:
    out = tmp_path / "pairs.jsonl"
    stats = generate_pairs(PairConfig(_inputs(small_xquad), str(out), split_by="title", held_out=2,
                                      keep_split="both"), progress=False)
    recs = read_examples(out)
    n_items = stats["pairs"]["items"]
    assert len(recs) == stats["records"] == n_items * 9
    assert stats["records_by_kind"] == {"mono": n_items * 3, "cross": n_items * 6}
    held = {r.meta["title"] for r in recs if r.meta["split"] == "heldout"}
    train = {r.meta["title"] for r in recs if r.meta["split"] == "train"}
    assert len(held) == 2 and len(train) == 4 and held.isdisjoint(train)
    saved = json.loads((tmp_path / "pairs.stats.json").read_text(encoding="utf-8"))
    assert saved["pairs"]["split"] == {"by": "title", "train_titles": 4, "heldout_titles": 2, "kept": "both",
                                       "heldout": sorted(held)}
    assert saved["config"]["pairs"] == "all"
    # issue 12: the held-out titles are also written in the form `evaluate --titles` reads
    from evaluation.collections.lareqa import read_titles

    assert saved["heldout_titles_file"] == "pairs.heldout-titles.txt"
    assert set(read_titles(tmp_path / "pairs.heldout-titles.txt")) == held


def test_codeswitched_cross_pairs_from_alignment_dirs(small_xquad: Path, tmp_path: Path) -> None:
    items = read_parallel(_inputs(small_xquad))
    cfg = AlignConfig(rel_iterations=0.2, n_samplers=1)
    dirs = []
    for tgt in ("de", "es"):
        d = tmp_path / f"al-en-{tgt}"
        write_alignment_dir(d, units_from_items(items, "en", tgt), cfg)
        dirs.append(str(d))
    conf = PairConfig(_inputs(small_xquad), str(tmp_path / "cs.jsonl"), pairs="cross", langs=("en", "de"),
                      align_switch=("de", "es"), alignments=tuple(dirs), ratio=0.5, side="both", seed=5)
    stats = generate_pairs(conf, progress=False)
    recs = read_examples(tmp_path / "cs.jsonl")
    en_q = [r for r in recs if r.query_lang == "en"]
    assert len(recs) == len(items) * 2 and stats["records_by_kind"]["codeswitch"] >= len(en_q) - 2
    by_id = {it.pair_id: it for it in items}
    for r in recs:
        if r.kind != "codeswitch":
            continue
        for s in r.switches:
            text = r.query if s.side == "query" else r.passage
            other = by_id[r.pair_id].texts[s.lang]
            assert text[s.start:s.end] in (other.query if s.side == "query" else other.paragraph)
            assert s.method == "alignment" and s.lang in ("de", "es")
    assert {k.split(":")[1] for k in stats["switches"]} == {"de", "es"}
    # same seed: byte-identical output
    generate_pairs(PairConfig(**{**conf.__dict__, "out": str(tmp_path / "cs2.jsonl")}), progress=False)
    assert (tmp_path / "cs.jsonl").read_bytes() == (tmp_path / "cs2.jsonl").read_bytes()


def test_refuses_existing_output_and_bad_split(small_xquad: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    out.write_text("keep me\n", encoding="utf-8")
    with pytest.raises(CodeswitchError, match=r"exists; pass --overwrite to replace it"):
        generate_pairs(PairConfig(_inputs(small_xquad), str(out)), progress=False)
    with pytest.raises(CodeswitchError, match=r"--held-out 6.0 leaves no training articles out of 6; lower it"):
        generate_pairs(PairConfig(_inputs(small_xquad), str(out), split_by="title", held_out=6.0), overwrite=True,
                       progress=False)
    assert out.read_text(encoding="utf-8") == "keep me\n"  # nothing half-written


def test_align_switch_aligns_only_the_directions_the_records_use(small_xquad: Path, tmp_path: Path,
                                                                 monkeypatch) -> None:
    # issue 12: with --pair-langs en,de --align-switch de,es the run also aligned es->de, never used
    import codeswitch.parallel.align_switch as align_switch
    from codeswitch.parallel.pair_generate import pair_records
    from codeswitch.parallel.pairs import PairStats

    asked: list = []

    def fake_index(items, directions, config, method=None, progress=False):
        asked.extend(directions)
        return align_switch.AlignmentIndex()

    monkeypatch.setattr(align_switch, "build_alignment_index", fake_index)
    config = PairConfig(_inputs(small_xquad), str(tmp_path / "o.jsonl"), pairs="cross", langs=("en", "de"),
                        align_switch=("de", "es"))
    list(pair_records(config, PairStats()))
    assert sorted(asked) == [("de", "es"), ("en", "de"), ("en", "es")]


def test_the_summary_prints_no_python_values(tmp_path, shared_data):
    # issue 22: "(nominal None)", "split by title: {'by': 'title', ...}" and "{'mono': 0, ...}" read like debug output
    from click.testing import CliRunner

    from codeswitch.cli import main

    xq = shared_data / "xquad"
    r = CliRunner().invoke(main, ["generate", str(xq / "xquad.en.json"), str(xq / "xquad.de.json"), "--pairs", "all",
                                  "--split-by", "title", "--held-out", "10", "--keep-split", "train", "--out",
                                  str(tmp_path / "t.jsonl"), "-q"])
    assert r.exit_code == 0, r.output
    assert "split by title: by title, train_titles 38, heldout_titles 10, kept train" in r.output
    assert not any(c in r.output for c in "{}") and "None" not in r.output
