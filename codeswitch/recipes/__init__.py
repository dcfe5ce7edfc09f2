"""Recipes: one YAML file drives all three stages (split, generate, train, evaluate, report).

Modules: :mod:`~codeswitch.recipes.config` (the YAML schema), :mod:`~codeswitch.recipes.runner`
(steps with config hashes, resumable grid), :mod:`~codeswitch.recipes.report` (tables, verdicts,
plots), :mod:`~codeswitch.recipes.stages` (the stage commands as one click group) and
:mod:`~codeswitch.recipes.cli` (``codeswitch recipe``).

This is the one package besides the root CLI that sees everything: ``codeswitch.lexical``,
``codeswitch.parallel``, ``training`` and ``evaluation``. It calls the stages through their click
commands (:func:`~codeswitch.recipes.stages.stage_group`), never through :mod:`codeswitch.cli`.
"""
