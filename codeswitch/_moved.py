"""Old flat module names (before 0.2) keep importing for one release, with a DeprecationWarning.

``import codeswitch.generate`` returns the module object of ``codeswitch.lexical.generate`` itself
(not a copy), so monkeypatching either name patches both. Remove in 0.3.
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
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old name in :data:`MOVED` to the module at its new place."""

    def find_spec(self, fullname, path, target=None):  # noqa: D102
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec):  # noqa: D102
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {new}; the old name goes away in codeswitch 0.3",
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
