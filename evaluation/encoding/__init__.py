"""Encoding: dense encoders behind ``evaluate`` (sentence-transformers; ONNX / OpenVINO backends; int8).

* :mod:`~evaluation.encoding.dense` -- :class:`DenseEncoder` and its config (prefixes, pooling,
  normalisation, max length, embedding cache, fingerprint);
* :mod:`~evaluation.encoding.backends` -- token-length batches, torch / ONNX / OpenVINO, quantisation.

May import: the shared core of ``codeswitch`` only (and torch, transformers, sentence-transformers inside
functions). Never imports collections, retrieval, scoring or reports.
"""

from __future__ import annotations
