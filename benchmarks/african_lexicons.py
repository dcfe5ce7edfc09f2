"""A lexicon for every African target language: align FLORES with eflomal, induce, score, combine (not run by CI).

For each language, through the real CLI (``codeswitch align`` on the SIB-200 FLORES TSVs paired by
``index_id``, then ``codeswitch lexicon induce``, English source -> target), it records the induced
lexicon's size, its precision@1 against the dictionaries that exist (WECHSEL for ha / zu / ig,
Wiktionary BLI and WECHSEL for sw / yo; scored by ``lexicon induce --gold``), and builds a combined
lexicon (the existing dictionary first, then the induced entries not already in it) whose token
coverage of the English XQuAD questions (``codeswitch lexicon stats --text``) is compared with the
existing dictionary's and the induced lexicon's.

    python benchmarks/african_lexicons.py [--data ../shared/data] [--out runs/african-lexicons] \\
        [--langs ha ig rw tw zu bem sw yo] [--repeats 1]

eflomal has no seed, so each alignment differs a little from run to run; ``--repeats N`` aligns and
induces N times and reports the range (the combined lexicon and the coverage use run 1).
Writes the alignments and lexicons under --out (git-ignored ``runs/``) and
benchmarks/results/african-lexicons/lexicons.json|md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import unicodedata
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # in-process imports (lexicon reading) from this checkout, like the commands
RESULTS = REPO / "benchmarks" / "results" / "african-lexicons"

# code -> (FLORES/SIB-200 file stem, English name)
LANGS = {
    "ha": ("hau_Latn", "Hausa"), "ig": ("ibo_Latn", "Igbo"), "rw": ("kin_Latn", "Kinyarwanda"),
    "tw": ("twi_Latn", "Twi"), "zu": ("zul_Latn", "Zulu"), "bem": ("bem_Latn", "Bemba"),
    "sw": ("swh_Latn", "Swahili"), "yo": ("yor_Latn", "Yoruba"),
}
# the dictionary a user has today (recipes use Wiktionary BLI train for sw / yo); first column as --gold reads it
EXISTING = {
    "ha": ("WECHSEL hausa.txt", "wechsel-dicts/hausa.txt"),
    "zu": ("WECHSEL zulu.txt", "wechsel-dicts/zulu.txt"),
    "ig": ("WECHSEL igbo.txt", "wechsel-dicts/igbo.txt"),
    "sw": ("Wiktionary sw-en.train", "wiktionary-bli/sw-en.train"),
    "yo": ("Wiktionary yo-en.train", "wiktionary-bli/yo-en.train"),
}
EXTRA_GOLDS = {
    "sw": [("Wiktionary sw-en.test", "wiktionary-bli/sw-en.test"),
           ("WECHSEL swahili.txt", "wechsel-dicts/swahili.txt")],
    "yo": [("Wiktionary yo-en.test", "wiktionary-bli/yo-en.test"),
           ("WECHSEL yoruba.txt", "wechsel-dicts/yoruba.txt")],
}
CLI = "import sys; from codeswitch.cli import main; sys.argv[0] = 'codeswitch'; main()"


def _shown(path: Path) -> str:
    return os.path.relpath(path, REPO)


class Runner:
    """Runs ``codeswitch`` commands of this checkout (``python -c``: the same as the console script)."""

    def __init__(self) -> None:
        self.commands: list[dict] = []
        self.env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    def __call__(self, *args: str | Path) -> tuple[str | None, str]:
        argv = [a if isinstance(a, str) else _shown(a) for a in args]
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", CLI, *argv], cwd=REPO, env=self.env, capture_output=True,
                           text=True)
        secs = round(time.perf_counter() - t0, 2)
        shown = "codeswitch " + " ".join(argv)
        self.commands.append({"command": shown, "seconds": secs, "exit": r.returncode})
        print(f"[{secs:6.1f} s] {shown}", file=sys.stderr)
        if r.returncode != 0:
            err = (r.stderr.strip().splitlines() or ["(no message)"])[-1]
            print(f"  failed: {err}", file=sys.stderr)
            return None, err
        return r.stdout, ""


def _induced(stdout: str) -> dict:
    """Sizes (first line: 'N entries for M source words -> OUT') and the --gold JSON line, if any."""
    lines = stdout.strip().splitlines()
    head = lines[0].split()
    res: dict = {"pairs": int(head[0]), "source_words": int(head[3])}
    if len(lines) > 1:
        res["gold"] = json.loads(lines[-1])
    return res


def _precision(res: dict) -> dict:
    g = res["gold"]
    return {**g, "covered_share_of_induced": round(g["covered"] / res["source_words"], 4) if res["source_words"]
            else 0.0}


TONE_MARKS = {"\u0300", "\u0301", "\u0304"}  # combining grave, acute, macron (Yoruba / Igbo tones; dots stay)


def _untoned(word: str) -> str:
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", word) if c not in TONE_MARKS))


def _precision_ignoring_tones(scores: Path, gold: Path, lang: str) -> float:
    """``lexicon induce --gold``'s P@1 (the same scorer) with tone marks removed from both sides.

    Wiktionary's Yoruba mostly lacks tone marks (``oju``) where FLORES has them (``ojú``)."""
    from codeswitch.parallel.induce import Entry, gold_spec, precision_at_1, read_muse_gold

    g = {s: {_untoned(t) for t in ts} for s, ts in read_muse_gold(*gold_spec(str(gold), "en", lang)).items()}
    rows = [line.split("\t") for line in scores.read_text(encoding="utf-8").splitlines()[1:]]
    entries = [Entry(r[0], _untoned(r[1]), int(r[2]), float(r[3]), float(r[4])) for r in rows]
    return precision_at_1(entries, g)["precision_at_1"]


def _combine(existing_spec: str, induced: Path, out: Path) -> dict:
    """Existing dictionary entries (file order) then induced entries not already there, as en<TAB>xx lines."""
    from codeswitch.lexical.lexicon import normalize_key, parse_spec, read_pairs

    spec = parse_spec(existing_spec, "en")
    pairs, _ = read_pairs(spec.path)
    existing = [(t, s) if spec.invert else (s, t) for s, t, _ in pairs]
    new = [(s, t) for s, t, _ in read_pairs(induced)[0]]
    seen: set[tuple[str, str]] = set()
    rows = []
    n_from = {"existing": 0, "induced": 0}
    for origin, group in (("existing", existing), ("induced", new)):
        for s, t in group:
            key = (normalize_key(s), unicodedata.normalize("NFC", t).casefold())
            if key in seen:
                continue
            seen.add(key)
            rows.append(f"{s}\t{t}\n")
            n_from[origin] += 1
    out.write_text("".join(rows), encoding="utf-8")
    return {"pairs_from_existing": n_from["existing"], "pairs_added_by_induction": n_from["induced"]}


def _without_stopwords(spec: str, lang: str, out: Path) -> str:
    """A copy of lexicon ``spec`` (as en<TAB>xx) without English stopword entries (spaCy's list, as
    ``generate --no-stopwords``); returns its spec."""
    import spacy

    from codeswitch.lexical.lexicon import normalize_key, parse_spec, read_pairs

    stops = {w.lower() for w in spacy.util.get_lang_class("en").Defaults.stop_words}
    sp = parse_spec(spec, "en")
    pairs = [(t, s) if sp.invert else (s, t) for s, t, _ in read_pairs(sp.path)[0]]
    out.write_text("".join(f"{s}\t{t}\n" for s, t in pairs if normalize_key(s) not in stops), encoding="utf-8")
    return f"{lang}={_shown(out)}"


def _coverage(run: Runner, spec: str, text: Path) -> dict | str:
    stdout, err = run("lexicon", "stats", spec, "--text", text, "--json")
    if stdout is None:
        return err
    s = json.loads(stdout)
    return {k: s[k] for k in ("entries", "pairs", "text_word_tokens", "text_covered_tokens", "token_coverage")}


def _questions(data: Path, out: Path) -> int:
    squad = json.loads((data / "xquad" / "xquad.en.json").read_text(encoding="utf-8"))
    qs = [" ".join(q["question"].split()) for a in squad["data"] for p in a["paragraphs"] for q in p["qas"]]
    out.write_text("".join(q + "\n" for q in qs), encoding="utf-8")
    return len(qs)


def run_language(run: Runner, lang: str, data: Path, out: Path, repeats: int, questions: Path) -> dict:
    stem, name = LANGS[lang]
    flores = data / "flores-sib200"
    row: dict = {"lang": lang, "name": name, "flores": f"{stem}.train.tsv"}
    gold = EXISTING.get(lang)
    runs = []
    for r in range(1, repeats + 1):
        tag = "" if r == 1 else f".run{r}"
        al, lex = out / f"align-en-{lang}{tag}", out / f"en-{lang}.induced{tag}.txt"
        stdout, err = run("align", f"en={_shown(flores / 'eng_Latn.train.tsv')}",
                          f"{lang}={_shown(flores / (stem + '.train.tsv'))}", "--out", al, "--no-progress",
                          "--overwrite")
        if stdout is None:
            row["error"] = err
            return row
        stats = json.loads((al / "align_stats.json").read_text(encoding="utf-8"))
        args: list[str | Path] = ["lexicon", "induce", al, "--out", lex, "--overwrite"]
        if r == 1:
            args += ["--scores", out / f"en-{lang}.induced.scores.tsv"]
        if gold:
            args += ["--gold", data / gold[1]]
        stdout, err = run(*args)
        if stdout is None:
            row["error"] = err
            return row
        res = _induced(stdout)
        one = {"run": r, "align_seconds": stats["seconds"], "pairs": res["pairs"], "source_words": res["source_words"]}
        if gold:
            one["precision"] = _precision(res)
        runs.append(one)
        if r == 1:
            row["aligned_pairs"] = stats["pairs"]
            row["align_config"] = json.loads((al / "align_config.json").read_text(encoding="utf-8"))
    first = runs[0]
    row.update(align_seconds=first["align_seconds"], induced={"pairs": first["pairs"],
                                                              "source_words": first["source_words"]})
    if repeats > 1:
        keys = ["pairs", "source_words"] + (["precision_at_1", "covered"] if gold else [])
        row["runs"] = runs
        row["range_over_runs"] = {
            k: [min(_get(x, k) for x in runs), max(_get(x, k) for x in runs)] for k in keys
        }
    lex = out / f"en-{lang}.induced.txt"
    scores = out / f"en-{lang}.induced.scores.tsv"
    if gold:
        row["gold"] = {"name": gold[0], **first["precision"],
                       "precision_at_1_ignoring_tone_marks": _precision_ignoring_tones(scores, data / gold[1], lang)}
        extra = []
        for gname, gpath in EXTRA_GOLDS.get(lang, []):
            stdout, err = run("lexicon", "induce", out / f"align-en-{lang}", "--out", lex, "--overwrite",
                              "--gold", data / gpath)
            extra.append({"name": gname, **(_precision(_induced(stdout)) if stdout else {"error": err})})
            if stdout:
                extra[-1]["precision_at_1_ignoring_tone_marks"] = _precision_ignoring_tones(scores, data / gpath, lang)
        if extra:
            row["other_golds"] = extra
    specs = {"induced": f"{lang}={_shown(lex)}"}
    if gold:
        comb = out / f"en-{lang}.combined.txt"
        specs["existing"] = f"{lang}={_shown(data / gold[1])}"
        row["combined"] = _combine(specs["existing"], lex, comb)
        specs["combined"] = f"{lang}={_shown(comb)}"
    cov: dict = {}
    for which in ("existing", "induced", "combined"):
        if which in specs:
            cov[which] = _coverage(run, specs[which], questions)
            nostop = _without_stopwords(specs[which], lang, out / f"en-{lang}.{which}.nostop.txt")
            cov[f"{which}_without_stopwords"] = _coverage(run, nostop, questions)
    row["xquad_en_question_coverage"] = cov
    return row


def _get(run: dict, key: str):
    return run["precision"][key] if key in ("precision_at_1", "covered") else run[key]


def _cov(row: dict, which: str) -> str:
    c = row.get("xquad_en_question_coverage", {}).get(which)
    return f"{c['token_coverage']:.1%}" if isinstance(c, dict) else "–"


def _size(row: dict, which: str) -> str:
    c = row.get("xquad_en_question_coverage", {}).get(which)
    return f"{c['pairs']:,} / {c['entries']:,}" if isinstance(c, dict) else "–"


def write_markdown(report: dict, path: Path) -> None:
    s = report["settings"]
    lines = [
        "# A lexicon for every target language: induced from 701 FLORES sentences",
        "",
        f"`python benchmarks/african_lexicons.py {report['argv']}` on {report['machine']}, "
        f"{report['seconds_total']} s in all. Parallel data: SIB-200's FLORES-200 train split "
        "(701 sentences per language), English paired with each language by `index_id`. "
        f"eflomal {s['eflomal']} with the `codeswitch align` defaults: model {s['align']['model']} "
        f"(HMM + fertility), {s['align']['n_samplers']} samplers, rel-iterations {s['align']['rel_iterations']}, "
        f"priors trained on all pairs (prior-sentences {s['align']['prior_sentences']}), then one chunk "
        f"(chunk-size {s['align']['chunk_size']}), symmetrised {s['align']['symmetrize']}. Induction: "
        f"min-count {s['induce']['min_count']}, min-prob {s['induce']['min_prob']}, top-k {s['induce']['top_k']}. "
        "eflomal has no seed (it reads /dev/urandom), so these figures move a little from run to run"
        + (f"; ranges over {s['repeats']} runs are in lexicons.json." if s["repeats"] > 1 else "."),
        "",
        "Sizes are `pairs / source words`. P@1: share of the induced source words that the gold dictionary "
        "has whose best induced translation is one of its translations; covered: induced source words the "
        "gold has (and their share of all induced source words); the range is over the runs. P@1 ignoring "
        "tones: the same scorer with combining grave / acute / macron removed from both sides (Wiktionary's "
        "Yoruba mostly lacks the tone marks FLORES has: `oju` vs `ojú`). Token coverage: "
        "share of the word tokens that have an entry (`codeswitch lexicon stats --text`), right or wrong.",
        "",
        "| lang | FLORES pairs | align s | induced | gold | covered | P@1 (range) | P@1 ignoring tones | existing "
        "| combined |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in report["languages"]:
        if "error" in row:
            lines.append(f"| {row['lang']} ({row['name']}) | failed: {row['error'][:120]} | | | | | | | | |")
            continue
        ind = row["induced"]
        g = row.get("gold")
        p1 = f"{g['precision_at_1']:.1%}" if g else "–"
        if g and "range_over_runs" in row:
            lo, hi = row["range_over_runs"]["precision_at_1"]
            p1 += f" ({lo:.1%}–{hi:.1%})"
        lines.append(
            f"| {row['lang']} ({row['name']}) | {row['aligned_pairs']} | {row['align_seconds']:.1f} | "
            f"{ind['pairs']:,} / {ind['source_words']:,} | {g['name'] if g else 'none'} | "
            + (f"{g['covered']:,} ({g['covered_share_of_induced']:.1%})" if g else "–")
            + f" | {p1} | " + (f"{g['precision_at_1_ignoring_tone_marks']:.1%}" if g else "–")
            + f" | {_size(row, 'existing')} | {_size(row, 'combined')} |"
        )
    lines += [
        "",
        f"Token coverage of the {report['questions']} English XQuAD questions (all entries / without English "
        "stopword entries, spaCy's list as `generate --no-stopwords`):",
        "",
        "| lang | existing | induced | combined |",
        "|---|---:|---:|---:|",
    ]
    for row in report["languages"]:
        if "error" not in row:
            lines.append(f"| {row['lang']} | " + " | ".join(
                f"{_cov(row, w)} / {_cov(row, w + '_without_stopwords')}" if w in row["xquad_en_question_coverage"]
                else "–" for w in ("existing", "induced", "combined")) + " |")
    others = [(row["lang"], o) for row in report["languages"] for o in row.get("other_golds", [])]
    if others:
        lines += ["", "The same induced lexicons against the other dictionaries that exist:", "",
                  "| lang | gold | gold source words | covered | P@1 | P@1 ignoring tones |",
                  "|---|---|---:|---:|---:|---:|"]
        for lang, o in others:
            if "error" in o:
                lines.append(f"| {lang} | {o['name']} | failed: {o['error']} | | | |")
            else:
                lines.append(f"| {lang} | {o['name']} | {o['gold_source_words']:,} | {o['covered']:,} | "
                             f"{o['precision_at_1']:.1%} | {o['precision_at_1_ignoring_tone_marks']:.1%} |")
    if report.get("notes"):
        lines += ["", *[f"- {n}" for n in report["notes"]]]
    lines += ["", "## Commands", "", "```"]
    lines += [c["command"] for c in report["commands"]]
    lines += ["```", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_data = os.environ.get("CODESWITCH_DATA") or str(REPO.parent / "shared" / "data")
    ap.add_argument("--data", type=Path, default=Path(default_data))
    ap.add_argument("--out", type=Path, default=REPO / "runs" / "african-lexicons")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--langs", nargs="+", choices=list(LANGS), default=list(LANGS))
    ap.add_argument("--repeats", type=int, default=1, help="align + induce this many times (eflomal has no seed)")
    ap.add_argument("--note", action="append", default=[], help="a line added to the results' notes")
    args = ap.parse_args()
    data, out = Path(os.path.abspath(args.data)), Path(os.path.abspath(args.out))  # keep symlinked paths as given
    out.mkdir(parents=True, exist_ok=True)
    run = Runner()
    t0 = time.perf_counter()
    questions = out / "xquad.en.questions.txt"
    n_questions = _questions(data, questions)
    rows = [run_language(run, lang, data, out, args.repeats, questions) for lang in args.langs]
    total = round(time.perf_counter() - t0, 1)
    cfg = next((r["align_config"] for r in rows if "align_config" in r), {})
    induce_cfg = json.loads((out / f"en-{rows[0]['lang']}.induced.txt.config.json").read_text(encoding="utf-8")) \
        if (out / f"en-{rows[0]['lang']}.induced.txt.config.json").exists() else {}
    shown_argv, skip = [], False
    for a in sys.argv[1:]:  # the notes are listed apart
        if skip or a == "--note" or a.startswith("--note="):
            skip = a == "--note"
            continue
        shown_argv.append(a)
    argv = " ".join(shown_argv)
    report = {
        "argv": argv,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "seconds_total": total,
        "questions": n_questions,
        "settings": {"eflomal": version("eflomal"), "align": cfg, "induce": induce_cfg, "repeats": args.repeats,
                     "seeded": False, "data": "flores-sib200 train split (701 sentences per language)"},
        "languages": [{k: v for k, v in r.items() if k != "align_config"} for r in rows],
        "notes": args.note,
        "commands": run.commands,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "lexicons.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
    write_markdown(report, args.results / "lexicons.md")
    print(f"{total} s; wrote {args.results / 'lexicons.json'} and lexicons.md", file=sys.stderr)


if __name__ == "__main__":
    main()
