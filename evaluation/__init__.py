"""Zero-shot retrieval evaluation: MIRACL, XQuAD-R, MLQA-R, Mr.TyDi; dense and BM25; language bias."""

from __future__ import annotations
