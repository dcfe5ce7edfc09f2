"""Lexical code-switching: bilingual lexicons, switching tokens by them, and ``codeswitch generate``.

Modules: :mod:`~codeswitch.lexical.lexicon` (MUSE / TSV / Wiktionary / WECHSEL / CLDR lexicons),
:mod:`~codeswitch.lexical.switch` (the per-token switcher, Litschko et al. 2023),
:mod:`~codeswitch.lexical.inputs` (SQuAD, JSONL, Parquet, CSV, MS MARCO and hub inputs),
:mod:`~codeswitch.lexical.generate` (the streaming, multi-process generator and its statistics),
:mod:`~codeswitch.lexical.cldr` (the CLDR lexicons of the embedded demo, ``demo/``), and the CLI
modules of ``generate`` and ``lexicon``.

Imports: the shared core (``codeswitch.records``, ``example_io``, ``errors``, ``languages``,
``atomic``, ``tokenize``) only. Never ``training``, ``evaluation`` or ``codeswitch.recipes``, and
never torch. The one door to :mod:`codeswitch.parallel` is the ``generate`` command
(``generate_cli``), which hands ``--pairs`` runs to it. ``tests/test_layout.py`` checks all of this.
"""
