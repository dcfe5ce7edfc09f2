"""Reports: what a person reads from results.

* :mod:`~evaluation.reports.tables` -- per-evaluation Markdown / CSV / JSON tables and the PNG plot;
* :mod:`~evaluation.reports.check_scores` -- ``check-scores``: results against ``expected_scores.yaml``.

May import: collections, scoring and :mod:`evaluation.trec_io`. Never imports encoding, retrieval,
``evaluate``, ``compare`` or the CLI (reports read result files; they run no model).
"""

from __future__ import annotations
