"""``codeswitch lexicon``: inspect bilingual lexicons (``stats``); other lexicon commands join this group."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click

from codeswitch.lexical.inputs import iter_rows
from codeswitch.lexical.lexicon import POLICIES, Lexicon, parse_spec
from codeswitch.lexical.switch import SwitchConfig, Switcher
from codeswitch.tokenize import BACKENDS


@click.group("lexicon")
def lexicon_group() -> None:
    """Inspect bilingual lexicons (stats); induce one from word alignments (induce)."""


def _texts(path: str, lang: str) -> Iterator[str]:
    if Path(path).suffix in (".txt", ""):
        from codeswitch.lexical.inputs import _lines

        for _, line in _lines(Path(path)):
            yield line
        return
    for row in iter_rows([path], lang):
        yield row[2]
        yield row[3]


@lexicon_group.command("stats")
@click.argument("lexicon", metavar="[LANG=]PATH")
@click.option("--text", "text", help="Measure token coverage on this input (.txt lines, or any generate input).")
@click.option("--source-lang", default="en", show_default=True, help="Language of --text (the side the lexicon is "
                                                                     "looked up with).")
@click.option("--policy", type=click.Choice(POLICIES), default="first", show_default=True,
              help="Which translation of an ambiguous entry is counted: the first listed, the most frequent, or a "
                   "random one.")
@click.option("--tokenizer", type=click.Choice(BACKENDS), default="auto", show_default=True,
              help="How text is split into words: auto (regex for spaced scripts; spaCy + pythainlp/jieba/... for th "
                   "zh ja ko when installed, else one token per character), fast, spacy or chars.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
def stats_cmd(lexicon: str, text: str | None, source_lang: str, policy: str, tokenizer: str, as_json: bool) -> None:
    """Entries, languages, ambiguity, and (with --text) token coverage of a text.

    \b
    codeswitch lexicon stats ../shared/data/muse-full/en-de.txt \\
        --text ../shared/data/squad/squad-v2.0-dev.first5articles.json
    codeswitch lexicon stats ../shared/data/wiktionary-bli/sw-en.train
    """
    lex = Lexicon.load(parse_spec(lexicon, source_lang), policy, tokenizer)
    stats = lex.stats()
    if text:
        sw = Switcher([lex], source_lang, SwitchConfig(ratio=0.0, tokenizer=tokenizer))
        import random

        rng = random.Random(0)
        for t in _texts(text, source_lang):
            sw.switch(t, "text", rng)
        words = sw.counts.get(("text", "*", "tokens"), 0)
        covered = sw.counts.get(("text", "*", "covered"), 0)
        stats["text"] = text
        stats["text_word_tokens"] = words
        stats["text_covered_tokens"] = covered
        stats["token_coverage"] = round(covered / words, 4) if words else None
    if as_json:
        click.echo(json.dumps(stats, indent=2, ensure_ascii=False))
    else:
        for key, value in stats.items():
            click.echo(f"{key}: {value}")
