"""`codeswitch generate` / `codeswitch lexicon stats` end to end on the real data, in-process."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.example_io import dumps, iter_examples
from codeswitch.records import example_from_dict


def _run(args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


@pytest.fixture(scope="module")
def data(shared_data):
    return {
        "squad": shared_data / "squad/squad-v2.0-dev.first5articles.json",
        "pairs": shared_data / "squad/squad-v2.0-dev.demo-pairs.en.jsonl",
        "de": shared_data / "muse-full/en-de.txt",
        "sw": shared_data / "wiktionary-bli/sw-en.train",
        "yo": shared_data / "wiktionary-bli/yo-en.train",
        "te": shared_data / "wiktionary-bli/te-en.train",
    }


def test_squad_json_with_muse(tmp_path, data):
    out = tmp_path / "cs.jsonl"
    r = _run(["generate", data["squad"], "--lexicon", data["de"], "--out", out, "-q"])
    assert r.exit_code == 0, r.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 705  # answerable questions of the 5 articles (PROVENANCE.md)
    muse = {}
    for line in data["de"].read_text(encoding="utf-8").splitlines():
        s, t = line.split()
        muse.setdefault(s, set()).add(t.lower())
    for line in lines:
        ex = example_from_dict(json.loads(line))
        assert dumps(ex) == line  # the fast writer produces exactly the record format
        assert ex.kind == "codeswitch" and ex.pair_id == ex.id.split("#")[0]
        for s in ex.switches:
            text = ex.query if s.side == "query" else ex.passage
            assert text[s.start:s.end].lower() in muse[s.source.lower()]
    stats = json.loads((tmp_path / "cs.stats.json").read_text())
    both = [stats["switch_rates"][side]["*"] for side in ("query", "passage")]
    # the coin is 0.5 per covered token; identity draws (California -> California) are counted, not switched
    assert all(0.47 < (b["switched_tokens"] + b["identical_tokens"]) / b["covered_tokens"] < 0.53 for b in both[1:])
    assert all(b["identical_tokens"] > 0 and b["rate_over_covered"] < 0.47 for b in both)
    assert 0.4 < both[0]["rate_over_covered"] < 0.6
    assert stats["config"]["switch"]["seed"] == 13 and stats["inputs"][0]["sha256"][:16] == "db71d0a19c3f656b"
    assert stats["records_by_kind"] == {"codeswitch": 705}


def test_multilingual_wiktionary_and_worker_determinism(tmp_path, data):
    common = [data["pairs"], "--column", "query=question", "--lexicon", data["sw"], "--lexicon", data["yo"],
              "--lexicon", data["te"], "-q", "--draw", "covering"]
    one, two = tmp_path / "w1.jsonl", tmp_path / "w2.jsonl"
    assert _run(["generate", *common, "--seed", "7", "--workers", "1", "--out", one]).exit_code == 0
    r = _run(["generate", *common, "--seed", "7", "--workers", "2", "--out", two])
    assert r.exit_code == 0, r.output
    assert one.read_bytes() == two.read_bytes()
    recs = list(iter_examples(one))
    assert len(recs) == 607
    langs = {s.lang for ex in recs for s in ex.switches}
    assert langs == {"sw", "yo", "te"}
    stats = json.loads((tmp_path / "w1.stats.json").read_text())
    assert 0.45 < stats["switch_rates"]["passage"]["*"]["rate_over_covered"] < 0.55
    other_seed = tmp_path / "s.jsonl"
    assert _run(["generate", *common, "--seed", "8", "--out", other_seed]).exit_code == 0
    assert other_seed.read_bytes() != one.read_bytes()


@pytest.mark.parametrize("suffix", [".parquet", ""])
def test_parquet_and_hf_outputs_match_jsonl(tmp_path, data, suffix):
    args = ["generate", data["pairs"], "--column", "query=question", "--lexicon", data["sw"], "-q", "--side", "query"]
    _run([*args, "--out", tmp_path / "a.jsonl"])
    r = _run([*args, "--out", tmp_path / f"b{suffix}"])
    assert r.exit_code == 0, r.output
    assert [dumps(e) for e in iter_examples(tmp_path / f"b{suffix}")] == \
        (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()


def test_msmarco_tsv_and_csv(tmp_path):
    (tmp_path / "queries.tsv").write_text("1\twhat is a red house\n2\tblue sky\n", encoding="utf-8")
    (tmp_path / "collection.tsv").write_text("10\tThe house is red.\n11\tThe sky.\n12\tBlue sky here.\n")
    (tmp_path / "qrels.tsv").write_text("1 0 10 1\n2 0 12 1\n2 0 11 0\n")
    lex = tmp_path / "en-de.txt"
    lex.write_text("house Haus\nred rot\nsky Himmel\n", encoding="utf-8")
    out = tmp_path / "m.jsonl"
    r = _run(["generate", f"queries={tmp_path / 'queries.tsv'}", f"collection={tmp_path / 'collection.tsv'}",
              f"qrels={tmp_path / 'qrels.tsv'}", "--lexicon", lex, "--ratio", "1", "-q", "--out", out])
    assert r.exit_code == 0, r.output
    recs = list(iter_examples(out))
    assert [(e.pair_id, e.query, e.passage) for e in recs] == [
        ("1-10", "what is a rot Haus", "The Haus is rot."), ("2-12", "blue Himmel", "Blue Himmel here.")]
    (tmp_path / "triples.train.tsv").write_text("red house\tThe house.\tThe sky.\n", encoding="utf-8")
    r = _run(["generate", tmp_path / "triples.train.tsv", "--lexicon", lex, "--ratio", "1", "--switch-negatives",
              "-q", "--out", tmp_path / "t.jsonl"])
    assert r.exit_code == 0, r.output
    (ex,) = iter_examples(tmp_path / "t.jsonl")
    assert (ex.query, ex.negatives) == ("rot Haus", ("The Himmel.",))
    (tmp_path / "p.csv").write_text("q,p\nred house,a house\n", encoding="utf-8")
    r = _run(["generate", tmp_path / "p.csv", "--column", "query=q", "--column", "passage=p", "--lexicon", lex,
              "--ratio", "1", "--keep-original", "-q", "--out", tmp_path / "c.jsonl"])
    assert r.exit_code == 0, r.output
    assert [(e.id, e.kind, e.query) for e in iter_examples(tmp_path / "c.jsonl")] == [
        ("p.csv:2", "mono", "red house"), ("p.csv:2#cs0", "codeswitch", "rot Haus")]


def test_demo_without_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = _run(["generate", "-q"])
    assert r.exit_code == 0, r.output
    assert "wrote codeswitch-demo.jsonl and codeswitch-demo.stats.json" in r.output
    assert "rate over covered" in r.output and "[demo-01#cs0]" in r.output
    assert len((tmp_path / "codeswitch-demo.jsonl").read_text(encoding="utf-8").splitlines()) == 20
    assert _run(["generate", "-q"]).exit_code == 0  # the demo's default output may be replaced


def test_lexicon_stats_with_text(data):
    r = _run(["lexicon", "stats", data["de"], "--text", data["squad"], "--json"])
    assert r.exit_code == 0, r.output
    stats = json.loads(r.output)
    assert stats["entries"] == 74655 and stats["target_lang"] == "de"
    assert 0.5 < stats["token_coverage"] < 1.0
    r = _run(["lexicon", "stats", data["sw"]])
    assert "target_lang: sw" in r.output and "ambiguous_share" in r.output


def _bad(tmp_path, data, args, message):
    out = tmp_path / "bad.jsonl"
    r = _run(["generate", *args, "--out", out, "-q"])
    assert r.exit_code in (1, 2), r.output  # 2: a usage error (bad option value)
    assert r.output.startswith("Error: ") and len(r.output.strip().splitlines()) == 1
    assert message in r.output, r.output
    assert not out.exists() and not (tmp_path / "bad.stats.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bad")]


def test_bad_inputs(tmp_path, data):
    bad_lex = tmp_path / "bad.en-de.txt"
    bad_lex.write_text("house Haus\nno\n", encoding="utf-8")
    empty = tmp_path / "en-de.txt"
    empty.write_text("", encoding="utf-8")
    bad_json = tmp_path / "b.jsonl"
    bad_json.write_text('{"query": "a", "passage": "b"}\n{"query": oops}\n', encoding="utf-8")
    latin1 = tmp_path / "l.jsonl"
    latin1.write_bytes(b'{"query": "a", "passage": "b"}\n{"query": "caf\xe9", "passage": "b"}\n')
    cases = [
        ([data["pairs"], "--column", "query=question", "--lexicon", bad_lex],
         "bad.en-de.txt:2: expected 'source target'"),
        ([data["pairs"], "--column", "query=question", "--lexicon", empty], "lexicon has no entries"),
        ([data["pairs"], "--column", "query=question", "--lexicon", "zz=" + str(data["de"])],
         "unknown lexicon language 'zz'; supported ISO codes: af, am,"),
        ([data["pairs"], "--lexicon", data["de"]],
         "missing column(s) query; present: id, title, question, passage, answer, answer_start. "
         "Map them with --column"),
        ([bad_json, "--lexicon", data["de"]], "b.jsonl:2: invalid JSON"),
        ([latin1, "--lexicon", data["de"]], "l.jsonl:2: not UTF-8"),
        ([data["squad"], "--lexicon", data["de"], "--ratio", "1.5"],
         "Invalid value for '--ratio': expected a number in [0, 1], found '1.5'"),
        ([data["squad"], "--lexicon", data["de"], "--source-lang", "xx"], "unknown --source-lang 'xx'"),
    ]
    for args, message in cases:
        _bad(tmp_path, data, args, message)


def test_existing_output_needs_overwrite(tmp_path, data):
    out = tmp_path / "o.jsonl"
    out.write_text("keep\n")
    r = _run(["generate", data["squad"], "--lexicon", data["de"], "--out", out, "-q"])
    assert r.exit_code == 1 and "exists; pass --overwrite" in r.output and out.read_text() == "keep\n"
    r = _run(["generate", data["squad"], "--lexicon", data["de"], "--out", out, "-q", "--overwrite"])
    assert r.exit_code == 0 and out.read_text() != "keep\n"


def test_lareqa_json_and_save_to_disk_input(tmp_path, shared_data, data):
    out = tmp_path / "xr.jsonl"
    r = _run(["generate", shared_data / "lareqa/xquad-r/en.json", "--lexicon", data["sw"], "--side", "query",
              "-q", "--out", out])
    assert r.exit_code == 0, r.output
    recs = list(iter_examples(out))
    assert len(recs) == 1190 and {e.passage_lang for e in recs} == {"en"}
    hf_dir = tmp_path / "hf"
    assert _run(["generate", out, "--lexicon", data["sw"], "-q", "--ratio", "0", "--out", hf_dir]).exit_code == 0
    again = tmp_path / "again.jsonl"
    r = _run(["generate", hf_dir, "--lexicon", data["sw"], "-q", "--ratio", "0", "--out", again])
    assert r.exit_code == 0, r.output
    assert len(list(iter_examples(again))) == 1190


def test_help_lists_commands_and_no_torch():
    import subprocess
    import sys

    code = "import sys, codeswitch.lexical.generate_cli, codeswitch.lexical.lexicon_cli; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    r = _run(["generate", "--help"])
    assert r.exit_code == 0 and "--lexicon" in r.output and "--ratio" in r.output


COL = ("--column", "query=question")


def _stable(stats_file):
    """The stats without the wall-clock timing fields (the only ones allowed to vary)."""
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    for key in ("seconds", "tokens_per_second"):
        stats["run"].pop(key)
    return json.dumps(stats, indent=2, ensure_ascii=False)


def test_stats_bytes_do_not_depend_on_the_folder(tmp_path, data, monkeypatch):
    # issue 12: the stats stored absolute paths and the pid
    for name in ("a", "b"):
        d = tmp_path / name / "deeper" if name == "b" else tmp_path / name
        d.mkdir(parents=True)
        (d / "pairs.jsonl").write_bytes(data["pairs"].read_bytes())
        (d / "en-de.txt").write_text("house Haus\nthe die\nwater Wasser\n", encoding="utf-8")
        monkeypatch.chdir(d)
        r = _run(["generate", "pairs.jsonl", "--lexicon", "en-de.txt", "--out", "o.jsonl", "-q", *COL])
        assert r.exit_code == 0, r.output
        # absolute paths give the same stats too
        r = _run(["generate", d / "pairs.jsonl", "--lexicon", d / "en-de.txt", "--out", d / "abs.jsonl", "-q", *COL])
        assert r.exit_code == 0, r.output
    a, b = tmp_path / "a", tmp_path / "b" / "deeper"
    assert _stable(a / "o.stats.json") == _stable(b / "o.stats.json")
    assert _stable(a / "abs.stats.json") == _stable(b / "abs.stats.json")
    text = (a / "abs.stats.json").read_text(encoding="utf-8")
    assert str(tmp_path) not in text and '"pid"' not in text
    inputs = json.loads(text)["inputs"]
    assert inputs == [{"input": "pairs.jsonl", "bytes": data["pairs"].stat().st_size,
                       "sha256": inputs[0]["sha256"]}]


def test_workers_are_capped_and_zero_means_one_per_cpu(tmp_path, data, monkeypatch):
    import codeswitch.options as options

    monkeypatch.setattr(options, "usable_cpus", lambda: 8)  # the 607 pairs make 3 chunks of 256
    out = tmp_path / "w.jsonl"
    r = _run(["generate", data["pairs"], *COL, "--lexicon", data["de"], "--out", out, "-q", "--workers", "1000"])
    assert r.exit_code == 0, r.output
    assert "with 3 worker(s) (asked 1000; capped at 8 usable CPU(s) and 3 input chunk(s))" in r.output
    run = json.loads((tmp_path / "w.stats.json").read_text())["run"]
    assert run["workers"] == 3 and run["workers_requested"] == 1000
    r = _run(["generate", data["pairs"], *COL, "--lexicon", data["de"], "--out", out, "-q", "--workers", "0",
              "--overwrite"])
    assert "with 3 worker(s) (asked one per CPU; capped at 3 input chunk(s))" in r.output, r.output
    assert options.cap_workers(0) == (8, []) and options.cap_workers(64, 10) == (8, ["8 usable CPU(s)"])
    assert options.cap_workers(3, 1) == (1, ["1 input chunk(s)"])


def test_empty_pairs_are_skipped_and_counted(tmp_path):
    rows = [{"id": "a", "query": "red house", "passage": "the red house"}, {"id": "b", "query": " ", "passage": "x"},
            {"id": "c", "query": "red", "passage": ""}]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "en-de.txt").write_text("house Haus\n", encoding="utf-8")
    r = _run(["generate", tmp_path / "p.jsonl", "--lexicon", tmp_path / "en-de.txt", "--out", tmp_path / "o.jsonl",
              "-q"])
    assert r.exit_code == 0, r.output
    assert "warning: skipped 2 pair(s) with an empty query or passage" in r.output
    stats = json.loads((tmp_path / "o.stats.json").read_text())
    assert stats["records"] == 1 and stats["skipped"] == {"empty_query_or_passage": 2}


def test_lexicon_stats_count_identity_entries(tmp_path):
    (tmp_path / "en-de.txt").write_text("California California\nhouse Haus\nhouse house\nParis paris\n",
                                        encoding="utf-8")
    r = _run(["lexicon", "stats", tmp_path / "en-de.txt", "--json"])
    stats = json.loads(r.output)
    assert stats["identity_pairs"] == 3 and stats["identity_first_entries"] == 2
