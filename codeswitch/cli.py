"""The ``codeswitch`` command line: one click group; each stage adds its commands here.

Errors derived from :class:`codeswitch.errors.CodeswitchError` are shown as one line
(``Error: ...``) with exit status 1 and no traceback. SIGTERM (what schedulers such as SLURM and
``kill`` send) is handled like Ctrl-C, so an interrupted command still removes its partial outputs
and keeps its checkpoints for ``--resume``.
"""

from __future__ import annotations

import os
import signal
import threading

import click

from codeswitch import __version__
from codeswitch.errors import CodeswitchError

_MAIN_PID = os.getpid()


def _terminate_as_interrupt(signum, frame) -> None:
    if os.getpid() != _MAIN_PID:  # a forked worker (generate --workers): die of the signal as usual
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise KeyboardInterrupt(f"terminated by signal {signum}")


class _Group(click.Group):
    """A click group that turns our user-facing errors into one-line click errors."""

    def invoke(self, ctx: click.Context):  # noqa: D401
        global _MAIN_PID
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGTERM)  # None: set outside Python, leave it alone
            if previous is not None:
                _MAIN_PID = os.getpid()
                signal.signal(signal.SIGTERM, _terminate_as_interrupt)
        try:
            return super().invoke(ctx)
        except CodeswitchError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="codeswitch")
def main() -> None:
    """Code-switched training data, hybrid-batch dual-encoder training, zero-shot retrieval evaluation.

    \b
    codeswitch generate   build code-switched / parallel training records
    codeswitch lexicon    inspect bilingual lexicons
    """

from training.cli import train  # noqa: E402

main.add_command(train)

from codeswitch.generate_cli import generate_cmd  # noqa: E402
from codeswitch.lexicon_cli import lexicon_group  # noqa: E402

main.add_command(generate_cmd)
main.add_command(lexicon_group)

from evaluation.cli import check_scores_cmd, compare_cmd, evaluate_cmd  # noqa: E402

main.add_command(evaluate_cmd)
main.add_command(compare_cmd)
main.add_command(check_scores_cmd)

from codeswitch.recipe_cli import recipe_group  # noqa: E402

main.add_command(recipe_group)

from codeswitch.cli_parallel import align, induce  # noqa: E402

main.add_command(align)
lexicon_group.add_command(induce)
