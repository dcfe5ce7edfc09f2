"""The stage commands in one click group, for the root CLI and for the recipe runner.

``generate`` and ``lexicon`` (lexical switching), ``align`` and ``lexicon induce`` (parallel data),
``train``, ``interpolate`` and ``mine-negatives``, and ``evaluate`` / ``compare`` / ``check-scores`` are
gathered here from the modules that define them. The root command (:mod:`codeswitch.cli`) adds them to
``codeswitch``; the recipe runner invokes them through :func:`stage_group`, so it never imports the root
CLI module (no import circle) and still runs exactly what a user typing ``codeswitch ...`` would.
Imports happen inside the functions: torch is only loaded when a torch command runs.
"""

from __future__ import annotations

import functools

import click


def add_stage_commands(group: click.Group) -> None:
    """Add every stage command (all but ``recipe``) to ``group``."""
    from codeswitch.lexical.generate_cli import generate_cmd
    from codeswitch.lexical.lexicon_cli import lexicon_group
    from codeswitch.parallel.cli import align, induce
    from evaluation.cli import check_scores_cmd, compare_cmd, evaluate_cmd
    from training.cli import interpolate, mine_negatives_cmd, soup_cmd, train

    lexicon_group.add_command(induce)
    for command in (generate_cmd, lexicon_group, align, train, interpolate, soup_cmd, mine_negatives_cmd,
                    evaluate_cmd, compare_cmd, check_scores_cmd):
        group.add_command(command)


@functools.cache
def stage_group() -> click.Group:
    """A ``codeswitch`` group holding the stage commands (built once)."""
    group = click.Group("codeswitch")
    add_stage_commands(group)
    return group
