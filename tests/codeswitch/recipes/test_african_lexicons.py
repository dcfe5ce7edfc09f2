"""The code-switching lexicons that recipes/african-zeroshot-cpu.yaml reads are kept in the repository
(eflomal cannot be seeded, so they cannot be induced again byte for byte). The recipe's config hashes
hold their path, not their contents: these tests are what notices a file changed in place."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.lexical.lexicon import Lexicon, parse_spec
from codeswitch.recipes.config import load_recipe

ROOT = Path(__file__).resolve().parents[3]
FOLDER = ROOT / "recipes" / "african-lexicons"
LANGS = ("bem", "ha", "ig", "rw", "tw", "zu")
# | bem.txt | 1,066 | 822 | 84b4cfe1a7c4f300 | ... |
ROW = re.compile(r"^\| (\w+)\.txt \| ([\d,]+) \| ([\d,]+) \| ([0-9a-f]{16}) \|", re.M)


def _readme_rows() -> dict[str, tuple[int, int, str]]:
    text = (FOLDER / "README.md").read_text(encoding="utf-8")
    return {m[1]: (int(m[2].replace(",", "")), int(m[3].replace(",", "")), m[4]) for m in ROW.finditer(text)}


def test_each_lexicon_matches_the_size_and_checksum_its_readme_states():
    rows = _readme_rows()
    assert sorted(rows) == sorted(LANGS)
    for lang, (entries, words, sha) in rows.items():
        path = FOLDER / f"{lang}.txt"
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest()[:16] == sha, f"{path} changed; write new lexicons to a new folder"
        lines = data.decode("utf-8").splitlines()
        assert all(len(line.split()) == 2 for line in lines), path
        assert len(lines) == entries
        assert len({line.split()[0] for line in lines}) == words


def test_the_lexicons_load_as_the_recipe_passes_them():
    for lang in LANGS:
        lex = Lexicon.load(parse_spec(f"{lang}={FOLDER / (lang + '.txt')}", "en"))
        assert (lex.src_lang, lex.tgt_lang, lex.skipped) == ("en", lang, 0)
        assert len(lex) == _readme_rows()[lang][1]  # one entry per English word, its translations in file order


def test_the_recipe_switches_with_these_six_files_only(shared_data, monkeypatch):
    monkeypatch.setenv("CODESWITCH_DATA", str(shared_data))
    monkeypatch.chdir(ROOT)
    recipe = load_recipe(ROOT / "recipes" / "african-zeroshot-cpu.yaml")
    used = set()
    for entry in recipe.data.values():
        args = entry.get("generate") or []
        used |= {a for a in args if "=" in a and a.endswith(".txt")}
    assert used == {f"{lang}=./recipes/african-lexicons/{lang}.txt" for lang in LANGS}


def test_a_run_outside_the_repository_without_the_folder_stops_before_any_step(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("CODESWITCH_DATA", str(shared_data))
    monkeypatch.delenv("CODESWITCH_LEXICONS", raising=False)
    monkeypatch.chdir(tmp_path)
    recipe = str(ROOT / "recipes" / "african-zeroshot-cpu.yaml")
    r = CliRunner().invoke(main, ["recipe", "run", recipe, "--out", str(tmp_path / "out"),
                                  "--settings", "cs-query", "--seeds", "1", "--dry-run"])
    assert r.exit_code != 0
    assert "paths.lexicons resolved to ./recipes/african-lexicons, which does not exist; set CODESWITCH_LEXICONS" \
        in r.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("missing", ["zu.txt", None])
def test_a_lexicon_folder_without_a_language_fails_the_step_naming_the_file(tmp_path, shared_data, missing):
    folder = tmp_path / "lex"
    folder.mkdir()
    for lang in LANGS:
        if f"{lang}.txt" != missing:
            (folder / f"{lang}.txt").write_bytes((FOLDER / f"{lang}.txt").read_bytes())
    if missing is None:  # a damaged file: one field on a line
        (folder / "ha.txt").write_text("water\n", encoding="utf-8")
    args = ["generate", str(shared_data / "xquad" / "xquad.en.json"), "--column", "query=question",
            "--side", "query", "--ratio", "0.5", "--seed", "13", "--out", str(tmp_path / "cs.jsonl")]
    for lang in LANGS:
        args += ["--lexicon", f"{lang}={folder / (lang + '.txt')}"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code != 0
    assert str(folder / ("zu.txt" if missing else "ha.txt")) in r.output
    assert not (tmp_path / "cs.jsonl").exists()
