"""Scoring: metrics over runs and rankings; no model code.

* :mod:`~evaluation.scoring.metrics` -- trec_eval measures through pytrec_eval, and the same measures from ranks;
* :mod:`~evaluation.scoring.lareqa` -- the LAReQA protocol (mono / cross / multi, mAP, R@k, tie rule);
* :mod:`~evaluation.scoring.bias` -- language bias (rank distance).

May import: collections (the LAReQA pool type) and :mod:`evaluation.trec_io`. Never imports encoding,
retrieval, reports, torch, transformers, sentence-transformers or FAISS.
"""

from __future__ import annotations
