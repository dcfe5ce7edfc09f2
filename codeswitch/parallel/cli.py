"""Commands for parallel text: ``codeswitch align`` and ``codeswitch lexicon induce``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from codeswitch.atomic import check_output
from codeswitch.errors import CodeswitchError, ConfigError, DataFormatError
from codeswitch.options import PROBABILITY, FiniteFloat
from codeswitch.parallel.align import SYMMETRIZATIONS, AlignCheckpoint, AlignConfig


def _lang_of(spec_lang: str | None, option: str | None, path: Path) -> str:
    from codeswitch.languages import check_lang
    from codeswitch.parallel.pairs import lang_from_name

    if spec_lang:
        return spec_lang
    if option:
        return check_lang(option)
    return lang_from_name(path)


@click.command("align")
@click.argument("source")
@click.argument("target")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--src-lang", default=None, help="Source language (default: from LANG=PATH or the file name).")
@click.option("--tgt-lang", default=None, help="Target language (default: from LANG=PATH or the file name).")
@click.option("--symmetrize", type=click.Choice(SYMMETRIZATIONS), default="grow-diag-final-and", show_default=True,
              help="Recorded as the main symmetrisation; every one is written anyway.")
@click.option("--backend", type=click.Choice(["eflomal", "simalign"]), default="eflomal", show_default=True,
              help="eflomal (statistical, unseeded, needs a few hundred sentence pairs) or simalign (argmax over a "
                   "multilingual encoder's token similarities; deterministic; --model).")
@click.option("--model", "model_path", default=None, help="simalign: multilingual encoder dir or hub id.")
@click.option("--layer", default=8, show_default=True, help="simalign: hidden layer to embed with.")
@click.option("--chunk-size", default=20000, show_default=True, help="Sentence pairs per eflomal run.")
@click.option("--prior-sentences", default=200000, show_default=True,
              help="Pairs aligned once to train the priors shared by all chunks (0: no priors).")
@click.option("--rel-iterations", type=FiniteFloat(0.0, open_low=True), default=1.0, show_default=True,
              help="eflomal iterations relative to its default.")
@click.option("--workers", default=1, show_default=True, help="Chunks aligned concurrently.")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted eflomal run from OUT.checkpoints (its priors and finished chunks).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory (and discard OUT.checkpoints).")
@click.option("--progress/--no-progress", default=True, show_default=True)
def align(source, target, out, src_lang, tgt_lang, symmetrize, backend, model_path, layer, chunk_size,
          prior_sentences, rel_iterations, workers, resume, overwrite, progress) -> None:
    """Word-align parallel text with eflomal (forward + reverse, symmetrised), Pharaoh output.

    SOURCE and TARGET are [LANG=]PATH: two SQuAD-format files (XQuAD, LAReQA; questions and
    paragraphs are aligned, matched by question id), two .tsv files with a header naming an
    index_id (or id) and a text column (FLORES via SIB-200; rows paired by index_id, not by line
    order), or two plain text files with one sentence per line. Tokens are `codeswitch.tokenize`
    tokens, punctuation included; link i-j joins the i-th source and j-th target token (0-based).

    \b
    codeswitch align ../shared/data/xquad/xquad.en.json ../shared/data/xquad/xquad.de.json --out aligned-en-de
    codeswitch align en=../shared/data/flores-sib200/eng_Latn.train.tsv \\
        ha=../shared/data/flores-sib200/hau_Latn.train.tsv --out aligned-en-ha

    eflomal has no seed: it seeds its sampler from /dev/urandom, so two runs can give slightly
    different links (everything downstream of a saved alignment is deterministic).

    Writes OUT/pairs.jsonl, src.tok, tgt.tok, forward/reverse/intersect/grow-diag-final-and.align,
    align_config.json and align_stats.json. While eflomal runs, the priors and each finished chunk
    are kept in OUT.checkpoints; if the run is interrupted, the same command with --resume aligns
    only the chunks not yet done (a chunk whose input or settings changed is aligned again), and
    the folder is removed once OUT is complete.
    """
    from codeswitch.parallel.bitext import read_line_pairs, read_tsv_pairs, units_from_items, write_alignment_dir
    from codeswitch.parallel.pairs import parse_lang_path, read_parallel

    check_output(out, overwrite, folder=True)
    ckpt_dir = out.with_name(out.name + ".checkpoints")
    if resume and backend != "eflomal":
        raise ConfigError("--resume is only available for --backend eflomal; rerun simalign from the start")
    if ckpt_dir.exists() and not resume:
        if not overwrite:
            how = "pass --resume to continue it or" if backend == "eflomal" else "pass"
            raise ConfigError(f"{ckpt_dir} holds an interrupted eflomal alignment; {how} --overwrite to start over")
        shutil.rmtree(ckpt_dir)
    if backend == "simalign" and not model_path:
        raise ConfigError("--backend simalign needs --model (a local multilingual encoder dir or hub id)")
    config = AlignConfig(symmetrize=symmetrize, chunk_size=chunk_size, prior_sentences=prior_sentences,
                         workers=workers, rel_iterations=rel_iterations, backend=backend, model_path=model_path,
                         layer=layer)
    s_lang, s_path = parse_lang_path(source)
    t_lang, t_path = parse_lang_path(target)
    for p in (s_path, t_path):
        if not p.exists():
            raise ConfigError(f"{p}: no such file; check the SOURCE/TARGET paths")
    sl, tl = _lang_of(s_lang, src_lang, s_path), _lang_of(t_lang, tgt_lang, t_path)
    if sl == tl:
        raise ConfigError(f"source and target are both {sl}; give two different languages")
    kinds = {s_path.suffix.lower(), t_path.suffix.lower()} & {".json", ".tsv"}
    if kinds and s_path.suffix.lower() != t_path.suffix.lower():
        raise ConfigError(f"SOURCE is {s_path.name} but TARGET is {t_path.name}; give two files of the same format "
                          "(two .json SQuAD files, two .tsv files with index_id and text, or two plain text files)")
    if kinds == {".json"}:
        items = read_parallel([f"{sl}={s_path}", f"{tl}={t_path}"])
        pairs = list(units_from_items(items, sl, tl))
    elif kinds == {".tsv"}:
        pairs = read_tsv_pairs(s_path, t_path, sl, tl)
    else:
        pairs = read_line_pairs(s_path, t_path, sl, tl)
    checkpoint = AlignCheckpoint(ckpt_dir, config) if backend == "eflomal" else None
    try:
        stats = write_alignment_dir(out, pairs, config, progress=progress, source=f"{s_path}, {t_path}",
                                    checkpoint=checkpoint)
    except (ConfigError, DataFormatError):
        # bad input before any work was saved: leave nothing behind (saved work stays for --resume)
        if checkpoint is not None and not any(ckpt_dir.iterdir()):
            shutil.rmtree(ckpt_dir, ignore_errors=True)
        raise
    if checkpoint is not None:
        shutil.rmtree(ckpt_dir)
    reused = f", {stats['reused_chunks']} chunks reused from {ckpt_dir}" if stats.get("reused_chunks") else ""
    click.echo(f"aligned {stats['pairs']} sentence pairs ({sl}-{tl}) in {stats['seconds']} s "
               f"({stats['pairs_per_second']} pairs/s{reused}) -> {out}")


def _alignment_langs(dirs) -> tuple[str, str]:
    """The (source, target) languages of alignment directories (first record of each pairs.jsonl)."""
    from codeswitch.example_io import utf8_lines

    langs: dict[tuple[str, str], Path] = {}
    for d in dirs:
        first = next((line for _, line in utf8_lines(d / "pairs.jsonl") if line.strip()), None) \
            if (d / "pairs.jsonl").is_file() else None
        if first is None:
            raise DataFormatError("missing or empty pairs.jsonl; pass a directory written by `codeswitch align`", d)
        try:
            rec = json.loads(first)
            langs.setdefault((rec["src_lang"], rec["tgt_lang"]), d)
        except (json.JSONDecodeError, KeyError, TypeError):
            raise DataFormatError("not a pair record; expected id, src_lang, tgt_lang, src, tgt",
                                  d / "pairs.jsonl", 1) from None
    if len(langs) > 1:
        found = ", ".join(f"{a}-{b} ({d})" for (a, b), d in langs.items())
        raise ConfigError(f"the alignment directories hold different language pairs: {found}; "
                          "induce one pair at a time")
    return next(iter(langs))


@click.command("induce")
@click.argument("aligned", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="MUSE lexicon to write.")
@click.option("--scores", type=click.Path(path_type=Path), default=None, help="Also write counts/probabilities TSV.")
@click.option("--symmetrize", type=click.Choice(SYMMETRIZATIONS), default="grow-diag-final-and", show_default=True,
              help="Which of the symmetrised alignments that align wrote to count links from.")
@click.option("--min-count", default=2, show_default=True, help="Minimum link count of a pair.")
@click.option("--min-prob", type=PROBABILITY, default=0.05, show_default=True, help="Minimum p(tgt|src).")
@click.option("--min-reverse-prob", type=PROBABILITY, default=0.0, show_default=True, help="Minimum p(src|tgt).")
@click.option("--top-k", default=3, show_default=True, help="Translations kept per source word.")
@click.option("--gold", metavar="[A-B=]PATH", default=None,
              help="Gold dictionary (MUSE, or src<TAB>tgt; A-B= names its columns, else the file name or "
                   "source->target): report precision@1 on covered source words and coverage.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out lexicon.")
def induce(aligned, out, scores, symmetrize, min_count, min_prob, min_reverse_prob, top_k, gold, overwrite) -> None:
    """Induce a bilingual lexicon (MUSE format) from alignment directories of `codeswitch align`.

    \b
    codeswitch lexicon induce aligned-en-de --out en-de.induced.txt \\
        --gold ../shared/data/muse-splits/en-de.5000-6500.txt
    codeswitch lexicon induce aligned-en-sw --out en-sw.induced.txt \\
        --gold sw-en=../shared/data/wiktionary-bli/sw-en.test

    All directories must hold the same two languages. Words are lower-cased and NFC-normalised.
    """
    from codeswitch.parallel.bitext import read_alignment_dir
    from codeswitch.parallel.induce import (
        InduceConfig,
        count_links,
        gold_path,
        gold_spec,
        precision_at_1,
        read_muse_gold,
        write_lexicon,
    )
    from codeswitch.parallel.induce import induce as run_induce

    check_output(out, overwrite, folder=False)
    config = InduceConfig(min_count=min_count, min_prob=min_prob, min_reverse_prob=min_reverse_prob, top_k=top_k,
                          symmetrize=symmetrize)
    config.check()
    try:
        sl, tl = _alignment_langs(aligned)
    except CodeswitchError:
        if gold is not None:  # both wrong: the gold file is named first (its error says more)
            read_muse_gold(gold_path(gold))
        raise
    gold_dict = read_muse_gold(*gold_spec(gold, sl, tl)) if gold is not None else None
    counts = None
    for d in aligned:
        c = count_links(read_alignment_dir(d, symmetrize))
        counts = c if counts is None else counts + c
    entries = run_induce(counts, config)
    write_lexicon(entries, out, config, scores)
    n_src = len({e.src for e in entries})
    click.echo(f"{len(entries)} entries for {n_src} source words -> {out}")
    if gold_dict is not None:
        click.echo(json.dumps(precision_at_1(entries, gold_dict)))

