"""SIGTERM handling of the `codeswitch` command line (the SIGTERM-resume path of align is in test_align)."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time

import pytest

from codeswitch import cli


@pytest.fixture
def sigterm_handler(monkeypatch):
    monkeypatch.setattr(cli, "_MAIN_PID", os.getpid())
    previous = signal.signal(signal.SIGTERM, cli._terminate_as_interrupt)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_sigterm_is_an_interrupt_in_the_command_process(sigterm_handler):
    with pytest.raises(KeyboardInterrupt, match="terminated by signal 15"):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler runs before this returns


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork (Linux, macOS)")
def test_forked_worker_dies_of_sigterm_without_a_traceback(sigterm_handler):
    # generate --workers N forks pool workers, which inherit the handler; Pool.terminate() sends them SIGTERM
    worker = mp.get_context("fork").Process(target=time.sleep, args=(30,))
    worker.start()
    time.sleep(0.3)
    worker.terminate()
    worker.join(10)
    assert worker.exitcode == -signal.SIGTERM  # killed by the signal, not exit 1 from a KeyboardInterrupt
