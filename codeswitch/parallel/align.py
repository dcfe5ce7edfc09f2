"""Word alignment of parallel text with eflomal: priors trained once, chunks aligned in parallel.

Tokens are exactly :func:`codeswitch.tokenize.tokenize` tokens of each text, punctuation
included (so index ``i`` in a Pharaoh link ``i-j`` is the ``i``-th element of
``tokenize(text, lang)``, the same tokens the switcher uses). Links are 0-based
``(source_index, target_index)`` pairs, written as Pharaoh ``i-j`` lines.

eflomal runs forward (source -> target) and reverse; :func:`symmetrize` combines them by
intersection, union or grow-diag-final-and. Aligning a large corpus chunk by chunk without
shared statistics biases the result, so :func:`align_corpus` first aligns up to
``prior_sentences`` pairs, turns that alignment into Dirichlet priors (eflomal's
``calculate_priors``) and reuses those priors for every chunk. eflomal seeds its sampler from
``/dev/urandom`` and has no seed option: links can differ slightly between runs; everything
downstream of a saved alignment is deterministic.

An :class:`AlignCheckpoint` keeps the priors and every finished chunk on disk as the run goes, each
keyed by a hash of its input lines and of the settings, so an interrupted run resumes from the
first unfinished chunk (``codeswitch align --resume``) and input that changed is aligned afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from codeswitch.atomic import atomic_path, scratch_dir
from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.tokenize import Token, tokenize

Link = tuple[int, int]
SYMMETRIZATIONS = ("grow-diag-final-and", "intersect", "union", "forward", "reverse")


@dataclass(frozen=True, slots=True)
class AlignConfig:
    """Settings of one alignment run (saved beside its outputs as ``align_config.json``).

    Attributes:
        symmetrize: how forward and reverse links are combined for the main output.
        model: eflomal model (1 IBM1, 2 HMM, 3 HMM + fertility).
        chunk_size: sentence pairs per eflomal call in the second pass.
        prior_sentences: sentence pairs (the first ones) aligned once to train the priors; 0 = no priors.
        workers: chunks aligned concurrently (each is an eflomal process).
        n_samplers: independent samplers per eflomal run.
        rel_iterations: eflomal iterations relative to its default (which grows as the corpus shrinks).
        backend: ``eflomal``, or ``simalign`` (embeddings of ``model_path``).
        model_path: local dir / hub id of a multilingual encoder for ``simalign``.
        layer: hidden layer used by ``simalign``.
    """

    symmetrize: str = "grow-diag-final-and"
    model: int = 3
    chunk_size: int = 20000
    prior_sentences: int = 200000
    workers: int = 1
    n_samplers: int = 3
    rel_iterations: float = 1.0
    backend: str = "eflomal"
    model_path: str | None = None
    layer: int = 8

    def __post_init__(self) -> None:
        if self.chunk_size < 1 or self.workers < 1:
            raise ConfigError(f"--chunk-size and --workers must be >= 1, found {self.chunk_size} and {self.workers}")
        if self.prior_sentences < 0:
            raise ConfigError(f"--prior-sentences must be >= 0 (0: no priors), found {self.prior_sentences}")
        if not (math.isfinite(self.rel_iterations) and self.rel_iterations > 0):
            raise ConfigError(f"--rel-iterations must be a finite number > 0, found {self.rel_iterations}")


def alignment_tokens(text: str, lang: str, where: str = "<text>") -> list[Token]:
    """Tokens of ``text`` used for alignment; raises if there are none.

    Raises:
        DataFormatError: for a text with no tokens (empty or whitespace only).
    """
    toks = tokenize(text, lang)
    if not toks:
        raise DataFormatError(
            f"text {text[:40]!r} in {lang} has no tokens and cannot be aligned; drop the pair or fix the text", where
        )
    return toks


def eflomal_line(tokens: Sequence[Token]) -> str:
    """Space-joined token texts as eflomal reads them (whitespace inside a token becomes ``_``)."""
    return " ".join("_".join(t.text.split()) or "_" for t in tokens)


# --------------------------------------------------------------------------- Pharaoh I/O


def format_pharaoh(links: Iterable[Link]) -> str:
    """``i-j`` links, sorted, space separated."""
    return " ".join(f"{i}-{j}" for i, j in sorted(links))


def parse_pharaoh(line: str, n_src: int, n_tgt: int, path: str | Path = "<alignment>", lineno: int = 0) -> list[Link]:
    """Parse one Pharaoh line and check every index against the sentence lengths.

    Raises:
        DataFormatError: for a malformed link or an index at or beyond the sentence length.
    """
    links = []
    for tok in line.split():
        i_s, sep, j_s = tok.partition("-")
        if not sep or not i_s.isdigit() or not j_s.isdigit():
            raise DataFormatError(f"link {tok!r} is not Pharaoh 'i-j' (0-based integers); fix the file", path, lineno)
        i, j = int(i_s), int(j_s)
        if i >= n_src or j >= n_tgt:
            raise DataFormatError(
                f"link {tok!r} exceeds the sentence length ({n_src} source, {n_tgt} target tokens); the alignment "
                "does not match the text — re-run `codeswitch align` on this text",
                path, lineno,
            )
        links.append((i, j))
    return links


# --------------------------------------------------------------------------- symmetrisation


def symmetrize(fwd: Iterable[Link], rev: Iterable[Link], method: str = "grow-diag-final-and") -> list[Link]:
    """Combine forward and reverse links (both as ``(source, target)`` pairs).

    ``grow-diag-final-and`` (Koehn et al. 2005): start from the intersection, repeatedly add
    union links that neighbour (incl. diagonally) a chosen link and cover a word not yet
    aligned on either side, then add union links whose source *and* target are both unaligned.
    """
    f, r = set(fwd), set(rev)
    if method == "forward":
        return sorted(f)
    if method == "reverse":
        return sorted(r)
    if method == "intersect":
        return sorted(f & r)
    if method == "union":
        return sorted(f | r)
    if method != "grow-diag-final-and":
        raise ConfigError(f"--symmetrize must be one of {', '.join(SYMMETRIZATIONS)}, found {method!r}")
    union = f | r
    chosen = set(f & r)
    src_done = {i for i, _ in chosen}
    tgt_done = {j for _, j in chosen}
    neighbours = [(-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]
    added = True
    while added:
        added = False
        for i, j in sorted(chosen):
            for di, dj in neighbours:
                cand = (i + di, j + dj)
                if cand in union and cand not in chosen and (cand[0] not in src_done or cand[1] not in tgt_done):
                    chosen.add(cand)
                    src_done.add(cand[0])
                    tgt_done.add(cand[1])
                    added = True
    for cand in sorted(union - chosen):
        if cand[0] not in src_done and cand[1] not in tgt_done:
            chosen.add(cand)
            src_done.add(cand[0])
            tgt_done.add(cand[1])
    return sorted(chosen)


# --------------------------------------------------------------------------- eflomal


def _read_links(path: Path) -> list[list[Link]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        out.append([tuple(map(int, x.split("-"))) for x in line.split()])  # type: ignore[misc]
    return out


def eflomal_align(
    src_lines: Sequence[str], tgt_lines: Sequence[str], config: AlignConfig, priors: Sequence[str] | None = None,
    work_dir: str | Path | None = None,
) -> tuple[list[list[Link]], list[list[Link]]]:
    """Run eflomal once on token lines; returns forward and reverse links per pair.

    Reverse links are returned as ``(source, target)`` pairs like the forward ones. eflomal's input
    and output files live in a scratch folder under ``work_dir`` (default: the system temp folder),
    removed afterwards; folders of killed runs are removed by the next run (:func:`codeswitch.atomic.make_scratch`).
    """
    import eflomal

    aligner = eflomal.Aligner(
        model=config.model, n_samplers=config.n_samplers, rel_iterations=config.rel_iterations
    )
    # eflomal.Aligner.align() writes its inputs to NamedTemporaryFile()s in the system temp folder, which
    # a kill -9 leaves there for good; write them into our own scratch folder instead (swept when stale)
    with scratch_dir("eflomal", work_dir) as tmp:
        fwd_p, rev_p = tmp / "fwd", tmp / "rev"
        with open(tmp / "src", "wb") as srcf, open(tmp / "tgt", "wb") as tgtf, \
                open(tmp / "priors", "w", encoding="utf-8") as priorsf:
            aligner.prepare_files(list(src_lines), srcf, list(tgt_lines), tgtf, list(priors) if priors else None,
                                  priorsf)
        eflomal.align(str(tmp / "src"), str(tmp / "tgt"), links_filename_fwd=str(fwd_p),
                      links_filename_rev=str(rev_p), priors_filename=str(tmp / "priors") if priors else None,
                      model=aligner.model, score_model=aligner.score_model, n_iterations=aligner.n_iterations,
                      n_samplers=aligner.n_samplers, quiet=True, rel_iterations=aligner.rel_iterations,
                      null_prior=aligner.null_prior)
        fwd, rev = _read_links(fwd_p), _read_links(rev_p)
    if len(fwd) != len(src_lines) or len(rev) != len(src_lines):
        raise DataFormatError(f"eflomal returned {len(fwd)} alignments for {len(src_lines)} sentence pairs")
    return fwd, rev


def train_priors(
    src_lines: Sequence[str], tgt_lines: Sequence[str], config: AlignConfig, work_dir: str | Path | None = None
) -> list[str]:
    """Align ``src_lines``/``tgt_lines`` once and turn the links into eflomal prior lines."""
    import io

    import eflomal

    fwd, rev = eflomal_align(src_lines, tgt_lines, config, work_dir=work_dir)
    counts = eflomal.calculate_priors(
        src_lines, tgt_lines, [format_pharaoh(x) for x in fwd], [format_pharaoh(x) for x in rev]
    )
    buf = io.StringIO()
    eflomal.write_priors(buf, *counts)
    return buf.getvalue().splitlines()


def _eflomal_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("eflomal")
    except PackageNotFoundError:
        return "unknown"


class AlignCheckpoint:
    """Finished eflomal work of one run in ``directory``: the priors and each aligned chunk.

    Every file starts with ``# key <sha256>`` over the eflomal version and settings, the priors in
    use (their text) and the input lines it covers; a file whose key does not match the current input is ignored (and
    replaced), so resuming after the input or settings changed cannot mix two runs.
    Files are written atomically: an interruption leaves whole files or none.

    Attributes:
        directory: where the files live (``codeswitch align`` uses ``OUT.checkpoints``).
        reused_chunks: chunks taken from disk instead of aligned in this process.
        reused_priors: whether the priors came from disk.
    """

    def __init__(self, directory: str | Path, config: AlignConfig) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._settings = f"{_eflomal_version()}|{config.model}|{config.n_samplers}|{config.rel_iterations}"
        self._priors_key = "none"
        self.reused_chunks = 0
        self.reused_priors = False

    def _key(self, kind: str, lines: Sequence[tuple[str, str]]) -> str:
        h = hashlib.sha256(f"{kind}|{self._settings}|{self._priors_key}\n".encode())
        for src, tgt in lines:
            h.update(f"{src}\t{tgt}\n".encode())
        return h.hexdigest()

    def _read(self, name: str, key: str) -> list[str] | None:
        path = self.directory / name
        if not path.is_file():
            return None
        lines = path.read_text(encoding="utf-8").split("\n")
        if lines[0] != f"# key {key}" or lines[-1] != "":
            return None
        return lines[1:-1]

    def _write(self, name: str, key: str, lines: Iterable[str]) -> None:
        with atomic_path(self.directory / name) as tmp:
            tmp.write_text("".join(f"{x}\n" for x in [f"# key {key}", *lines]), encoding="utf-8")

    def priors(self, head: Sequence[tuple[str, str]], train: Callable[[], list[str]]) -> list[str]:
        """The priors for ``head`` from disk, or ``train()`` them and save them."""
        key = self._key("priors", head)
        got = self._read("priors.txt", key)
        if got is None:
            got = train()
            self._write("priors.txt", key, got)
        else:
            self.reused_priors = True
        # chunks depend on the priors themselves (eflomal is unseeded: retrained priors differ)
        self._priors_key = hashlib.sha256("\n".join(got).encode()).hexdigest()
        return got

    def chunk(self, index: int, lines: Sequence[tuple[str, str]]) -> tuple[list[list[Link]], list[list[Link]]] | None:
        """The saved ``(forward, reverse)`` links of chunk ``index`` if it holds exactly ``lines``."""
        got = self._read(f"chunk-{index:07d}.links", self._key("chunk", lines))
        if got is None or len(got) != len(lines):
            return None
        path = self.directory / f"chunk-{index:07d}.links"
        fwd, rev = [], []
        for n, (line, (src, tgt)) in enumerate(zip(got, lines, strict=True), 2):
            f, sep, r = line.partition("\t")
            if not sep:
                return None
            ns, nt = len(src.split()), len(tgt.split())
            fwd.append(parse_pharaoh(f, ns, nt, path, n))
            rev.append(parse_pharaoh(r, ns, nt, path, n))
        self.reused_chunks += 1
        return fwd, rev

    def save_chunk(self, index: int, lines: Sequence[tuple[str, str]],
                   links: tuple[list[list[Link]], list[list[Link]]]) -> None:
        """Save chunk ``index``'s links (one ``forward<TAB>reverse`` Pharaoh line per pair)."""
        body = (f"{format_pharaoh(f)}\t{format_pharaoh(r)}" for f, r in zip(*links, strict=True))
        self._write(f"chunk-{index:07d}.links", self._key("chunk", lines), body)


@contextlib.contextmanager
def ticking(bar, every: float = 0.5) -> Iterator[None]:
    """Refresh ``bar`` from a background thread while the block runs (one long call, e.g. eflomal training
    priors, would otherwise leave a frozen bar); a no-op without a bar."""
    if bar is None:
        yield
        return
    import threading

    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def align_corpus(
    pairs: Iterable[tuple[str, str]], config: AlignConfig, progress: bool = False,
    checkpoint: AlignCheckpoint | None = None, total: int | None = None, desc: str = "align",
) -> Iterator[tuple[list[Link], list[Link]]]:
    """Stream ``(forward, reverse)`` links for each ``(src_line, tgt_line)`` of eflomal token lines.

    The first ``config.prior_sentences`` pairs train priors once; then chunks of
    ``config.chunk_size`` pairs are aligned with those priors, ``config.workers`` at a time,
    and yielded in input order. With ``checkpoint``, priors and chunks already on disk for the
    same input are reused and every newly aligned chunk is saved there. With ``progress`` a bar
    (``total`` pairs when known) runs from the start: its clock ticks through the priors pass,
    whose state it names, and it is closed however the run ends.
    """
    work_dir = checkpoint.directory if checkpoint is not None else None  # eflomal's files stay beside the run
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit=" pairs", desc=desc)
    try:
        yield from _align_chunks(pairs, config, checkpoint, work_dir, bar)
    finally:
        if bar is not None:
            bar.close()


def _align_chunks(pairs, config: AlignConfig, checkpoint, work_dir, bar) -> Iterator[tuple[list[Link], list[Link]]]:
    it = iter(pairs)
    head = list(itertools.islice(it, config.prior_sentences)) if config.prior_sentences > 0 else []
    priors = None
    if head:
        def train() -> list[str]:
            return train_priors([s for s, _ in head], [t for _, t in head], config, work_dir)

        if bar is not None:
            bar.set_postfix_str(f"training priors on {len(head)} pairs")
        with ticking(bar):
            priors = checkpoint.priors(head, train) if checkpoint else train()
        if bar is not None:
            bar.set_postfix_str("")
    stream = itertools.chain(head, it)
    chunks = iter(lambda: list(itertools.islice(stream, config.chunk_size)), [])

    def work(index: int, chunk: list[tuple[str, str]]):
        links = eflomal_align([s for s, _ in chunk], [t for _, t in chunk], config, priors, work_dir)
        if checkpoint is not None:
            checkpoint.save_chunk(index, chunk, links)
        return links

    with ThreadPoolExecutor(max_workers=config.workers) as pool:
        pending: list[tuple[int, Future]] = []
        try:
            for index, chunk in enumerate(chunks):
                saved = checkpoint.chunk(index, chunk) if checkpoint else None
                if saved is not None:
                    done: Future = Future()
                    done.set_result(saved)
                    pending.append((len(chunk), done))
                else:
                    pending.append((len(chunk), pool.submit(work, index, chunk)))
                while len(pending) > config.workers:
                    with ticking(bar):  # eflomal runs in other threads; keep the clock moving meanwhile
                        ready = _wait(pending[0][1])
                    yield from _drain(pending.pop(0), bar, ready)
            while pending:
                with ticking(bar):
                    ready = _wait(pending[0][1])
                yield from _drain(pending.pop(0), bar, ready)
        except BaseException:
            # interrupted or failed: start no queued chunk; the ones already running finish (and are saved)
            for _, fut in pending:
                fut.cancel()
            raise


def _wait(fut: Future):
    return fut.result()


def _drain(entry, bar, links) -> Iterator[tuple[list[Link], list[Link]]]:
    n, _ = entry
    fwd, rev = links
    if bar is not None:
        bar.update(n)
    yield from zip(fwd, rev, strict=True)
