"""Collections: dataset ids, their languages and loaders, one module per family (as ir_datasets keeps them).

* :mod:`~evaluation.collections.base` -- the task types (:class:`RetrievalTask`, :class:`CollectionTask`),
  the :class:`Request` a loader gets and the :class:`Resolved` it returns; it imports no family.
* one module per family -- :mod:`miracl`, :mod:`mrtydi` (both over :mod:`release`, the release-file
  layout), :mod:`lareqa` (``xquad-r``, ``mlqa-r``), :mod:`tydi`, :mod:`beir`, :mod:`irds`. Each declares
  ``IDS`` (the fixed ids it accepts; ``()`` for a prefix family such as ``beir:PATH``), ``FORMS`` (the id
  forms, for help and errors), ``parse(norm) -> (lang, split)`` and ``load(dataset_id, request) -> Resolved``.
* :mod:`~evaluation.collections.registry` -- ``FAMILIES``, the one table from an id's family to its
  module, and :func:`~evaluation.collections.registry.resolve`. Adding a family = one file + one entry.

May import: the shared core of ``codeswitch`` and :mod:`evaluation.trec_io`. Never imports encoders,
retrieval, scoring or reports; family modules never import the registry.
"""

from __future__ import annotations
