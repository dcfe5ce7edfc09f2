"""Retrieval: from a collection and a model to a TREC run.

* :mod:`~evaluation.retrieval.bm25` -- the BM25 baseline (analysis, streamed scoring);
* :mod:`~evaluation.retrieval.search` -- FAISS indexes (flat / HNSW / IVF), sharded, saved and reused;
* :mod:`~evaluation.retrieval.corpus` -- the corpus path (passage text rule, shards, checksums);
* :mod:`~evaluation.retrieval.models` -- :class:`BM25Model` and :class:`DenseModel`, what ``evaluate`` runs.

May import: collections (task types), encoding, scoring (the LAReQA scorer type) and
:mod:`evaluation.trec_io`. Never imports reports, ``evaluate``, ``compare`` or the CLI.
"""

from __future__ import annotations
