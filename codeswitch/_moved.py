"""Old module names keep importing for one release, with a DeprecationWarning.

The flat ``codeswitch`` modules of 0.1 moved into ``lexical`` / ``parallel`` / ``recipes`` in 0.2; the
flat ``evaluation`` modules of 0.2 moved into its rooms (``collections``, ``encoding``, ``retrieval``,
``scoring``, ``reports``) in 0.3. A module that was split keeps its old name for the part that holds
its main API (``evaluation.retrieve`` -> ``evaluation.retrieval.models``; the corpus helpers it held
are in ``evaluation.retrieval.corpus``).

``import codeswitch.generate`` returns the module object of ``codeswitch.lexical.generate`` itself
(not a copy), so monkeypatching either name patches both. Remove the 0.1 names in 0.3 and the 0.2
names in 0.4.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {
    "codeswitch.lexicon": "codeswitch.lexical.lexicon",
    "codeswitch.switch": "codeswitch.lexical.switch",
    "codeswitch.generate": "codeswitch.lexical.generate",
    "codeswitch.generate_cli": "codeswitch.lexical.generate_cli",
    "codeswitch.lexicon_cli": "codeswitch.lexical.lexicon_cli",
    "codeswitch.inputs": "codeswitch.lexical.inputs",
    "codeswitch.cldr": "codeswitch.lexical.cldr",
    "codeswitch.bitext": "codeswitch.parallel.bitext",
    "codeswitch.pairs": "codeswitch.parallel.pairs",
    "codeswitch.align": "codeswitch.parallel.align",
    "codeswitch.align_embed": "codeswitch.parallel.align_embed",
    "codeswitch.align_switch": "codeswitch.parallel.align_switch",
    "codeswitch.induce": "codeswitch.parallel.induce",
    "codeswitch.pair_generate": "codeswitch.parallel.pair_generate",
    "codeswitch.cli_parallel": "codeswitch.parallel.cli",
    "codeswitch.recipe": "codeswitch.recipes.runner",
    "codeswitch.recipe_config": "codeswitch.recipes.config",
    "codeswitch.recipe_report": "codeswitch.recipes.report",
    "codeswitch.recipe_cli": "codeswitch.recipes.cli",
    # 0.2 -> 0.3: evaluation in rooms
    "evaluation.collection": "evaluation.collections.base",
    "evaluation.datasets": "evaluation.collections.registry",
    "evaluation.tydi": "evaluation.collections.tydi",
    "evaluation.beir": "evaluation.collections.beir",
    "evaluation.irds": "evaluation.collections.irds",
    "evaluation.lareqa": "evaluation.collections.lareqa",
    "evaluation.encoders": "evaluation.encoding.dense",
    "evaluation.backends": "evaluation.encoding.backends",
    "evaluation.bm25": "evaluation.retrieval.bm25",
    "evaluation.search": "evaluation.retrieval.search",
    "evaluation.retrieve": "evaluation.retrieval.models",
    "evaluation.metrics": "evaluation.scoring.metrics",
    "evaluation.bias": "evaluation.scoring.bias",
    "evaluation.lareqa_eval": "evaluation.scoring.lareqa",
    "evaluation.report": "evaluation.reports.tables",
    "evaluation.reproduce": "evaluation.reports.check_scores",
}
REMOVED_IN = {old: "0.4" if old.startswith("evaluation.") else "0.3" for old in MOVED}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old name in :data:`MOVED` to the module at its new place."""

    def find_spec(self, fullname, path, target=None):  # noqa: D102
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec):  # noqa: D102
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {new}; the old name goes away in codeswitch {REMOVED_IN[spec.name]}",
                      DeprecationWarning, stacklevel=2)
        module = importlib.import_module(new)
        self._specs = getattr(self, "_specs", {}) | {new: (module.__spec__, module.__loader__)}
        return module

    def exec_module(self, module) -> None:  # noqa: D102 - the module is already executed at its new name
        # the import system stamped the old name's spec on the module: give it back its own
        module.__spec__, module.__loader__ = self._specs[module.__name__]


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
