"""Parallel data: mono- and cross-lingual pairs from translated QA, word alignment, alignment switching.

Modules: :mod:`~codeswitch.parallel.pairs` (reading XQuAD-style parallel files, building pairs,
splitting by article), :mod:`~codeswitch.parallel.bitext` (tokenized sentence pairs and alignment
folders), :mod:`~codeswitch.parallel.align` (eflomal, Pharaoh links, symmetrization, resumable
chunks), :mod:`~codeswitch.parallel.align_embed` (SimAlign-style alignment from an encoder),
:mod:`~codeswitch.parallel.align_switch` (code-switching by aligned phrases),
:mod:`~codeswitch.parallel.induce` (lexicon induction from alignments),
:mod:`~codeswitch.parallel.pair_generate` (the ``generate --pairs`` pipeline) and
:mod:`~codeswitch.parallel.cli` (``align`` and ``lexicon induce``).

Imports: the shared core only. Never ``codeswitch.lexical``, ``training``, ``evaluation`` or
``codeswitch.recipes``; torch only inside the SimAlign functions that need an encoder.
``tests/test_layout.py`` checks this.
"""
