"""The ``codeswitch`` command line: composition only. The stage commands live beside the code they drive
(gathered by :mod:`codeswitch.recipes.stages`); this module adds them and ``recipe`` to one group.

Errors derived from :class:`codeswitch.errors.CodeswitchError`, and file-system errors (``OSError``)
no stage turned into one, are shown as one line (``Error: ...``) with exit status 1 and no
traceback, after any progress bar is closed. SIGTERM (what schedulers such as SLURM and
``kill`` send) is handled like Ctrl-C, so an interrupted command still removes its partial outputs
and keeps its checkpoints for ``--resume``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

import click

from codeswitch import __version__, quiet
from codeswitch.errors import CodeswitchError

_MAIN_PID = os.getpid()


def _terminate_as_interrupt(signum, frame) -> None:
    if os.getpid() != _MAIN_PID:  # a forked worker (generate --workers): die of the signal as usual
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise KeyboardInterrupt(f"terminated by signal {signum}")


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _close_progress_bars() -> None:
    """Close live tqdm bars so an ``Error:`` line starts on a line of its own, with no stale bar after it."""
    tqdm_mod = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm_mod, "tqdm", None), "_instances", ()) or ()):
        try:
            bar.close()
        except Exception:  # noqa: BLE001 - a broken bar must not hide the error
            pass


class _OneLineUsageError(click.ClickException):
    exit_code = 2


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
        quiet.install()  # known-harmless library notices (codeswitch/quiet.py); real warnings still print
        try:
            return super().invoke(ctx)
        except CodeswitchError as exc:
            _close_progress_bars()
            raise click.ClickException(_one_line(str(exc))) from None
        except OSError as exc:  # a file-system failure no stage anticipated: still one line, no traceback
            _close_progress_bars()
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}; check the path, its permissions and the free "
                                       "space") from None
        except KeyboardInterrupt:
            _close_progress_bars()
            raise
        except click.UsageError as exc:  # a bad option of a stage command: one line too, still exit status 2
            if exc.ctx is None or exc.ctx.parent is None:
                raise
            raise _OneLineUsageError(f"{_one_line(exc.format_message())} (see '{exc.ctx.command_path} -h')") from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="codeswitch")
def main() -> None:
    """Code-switched training data, hybrid-batch dual-encoder training, zero-shot retrieval evaluation.

    \b
    codeswitch generate        build code-switched / parallel training records
    codeswitch lexicon         inspect bilingual lexicons; induce one from alignments
    codeswitch align           word-align parallel QA files (eflomal or SimAlign)
    codeswitch train           fine-tune a dual encoder with hybrid batching
    codeswitch interpolate     blend a fine-tuned model with its base (WiSE-FT)
    codeswitch soup            average several fine-tuned runs into one model
    codeswitch mine-negatives  give records hard negatives mined with an encoder
    codeswitch evaluate        score one model (or bm25) zero-shot on a collection
    codeswitch compare         score several models on one collection, one table
    codeswitch check-scores    compare a result with the expected published scores
    codeswitch recipe          run a whole experiment grid: data, training, evaluation
    """

from codeswitch.recipes.cli import recipe_group  # noqa: E402
from codeswitch.recipes.stages import add_stage_commands  # noqa: E402

add_stage_commands(main)
main.add_command(recipe_group)
