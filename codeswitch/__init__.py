"""codeswitch: code-switched training data for zero-shot cross-lingual dense retrieval.

Three packages share one record format (:class:`codeswitch.records.Example`):

* ``codeswitch`` generates training records (lexicon and alignment code-switching, parallel pairs);
* ``training`` fine-tunes a dual encoder on them with hybrid mono/cross-lingual batching;
* ``evaluation`` scores encoders zero-shot on MIRACL, XQuAD-R, MLQA-R and Mr.TyDi.

``codeswitch`` never imports torch: generation runs on machines without it.
"""

from __future__ import annotations

__version__ = "0.1.0"
