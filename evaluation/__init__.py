"""Zero-shot retrieval evaluation: MIRACL, Mr.TyDi, TyDi, XQuAD-R, MLQA-R, BEIR folders, ir_datasets ids.

Rooms (each ``__init__`` says what lives there and what it may import; ``tests/test_layout.py`` holds
the rules, lazy imports included, and checks that no import circle exists):

* :mod:`evaluation.collections` -- dataset ids, one module per collection family, and the registry;
* :mod:`evaluation.encoding` -- dense encoders (sentence-transformers, ONNX / OpenVINO, int8);
* :mod:`evaluation.retrieval` -- BM25, FAISS search, the corpus path, the models ``evaluate`` runs;
* :mod:`evaluation.scoring` -- trec_eval metrics, the LAReQA protocol, language bias (no model code);
* :mod:`evaluation.reports` -- tables, plots and ``check-scores``.

Flat at the top: :mod:`evaluation.trec_io` (TREC topics / qrels / runs, used by every room),
:mod:`evaluation.evaluate` and :mod:`evaluation.compare` (the two that see every room) and
:mod:`evaluation.cli` (the ``evaluate``, ``compare`` and ``check-scores`` commands). The flat module
names of 0.2 (``evaluation.datasets``, ``evaluation.retrieve``, ...) still import until 0.4, with a
DeprecationWarning (the table is :data:`codeswitch._moved.MOVED`).
"""

from __future__ import annotations

from codeswitch import _moved

_moved.install()  # the flat module names of 0.2 (evaluation.datasets, ...) still import, with a warning
