"""codeswitch: code-switched training data for zero-shot cross-lingual dense retrieval.

Three stages share one record format (:class:`codeswitch.records.Example`):

* ``codeswitch`` generates training records: :mod:`codeswitch.lexical` (lexicon code-switching)
  and :mod:`codeswitch.parallel` (mono/cross-lingual pairs, word alignment, alignment switching);
* ``training`` fine-tunes a dual encoder on them with hybrid mono/cross-lingual batching;
* ``evaluation`` scores encoders zero-shot on MIRACL, XQuAD-R, MLQA-R, TyDi and Mr.TyDi.

:mod:`codeswitch.recipes` drives all three from one YAML file; :mod:`codeswitch.cli` is the
``codeswitch`` command. The modules directly in this package (``records``, ``example_io``,
``errors``, ``languages``, ``atomic``, ``tokenize``) are what every stage shares.
``codeswitch`` never imports torch at import time: generation runs on machines without it.
"""

from __future__ import annotations

from codeswitch import _moved

__version__ = "0.2.0"

_moved.install()
