"""A small ordered process pool for ``generate --workers N`` that any signal can stop at any moment.

``multiprocessing.Pool`` shares locked queues between its workers; killing a worker that holds a
queue lock (or a signal arriving while the pool terminates) can leave ``Pool.terminate()``
waiting forever, and a Ctrl-C or SIGTERM that arrives while workers are forked is raised inside
a fork hook, where Python prints and drops it. Here each worker has a private pipe and at most
one task, so the parent can always kill and reap every worker:

* while workers are forked, the stop signals (SIGINT, SIGTERM) only get recorded; the parent's own
  handler is put back right after and called for a recorded signal then (blocking them would not
  do: the kernel may deliver a signal to another thread, such as tqdm's monitor, and Python then
  runs the handler in the main thread at its next check, possibly inside a fork hook);
* workers restore SIGTERM's default, ignore SIGINT (the parent stops them) and, on Linux, are
  killed when the parent dies (``PR_SET_PDEATHSIG``), so a ``kill -9`` of the parent leaves no orphan;
* on any exception in the parent (an error, KeyboardInterrupt) every worker is killed and reaped
  before the exception propagates; an exception in a worker is re-raised in the parent.

Results come back in task order; at most ``window`` tasks are in flight or waiting to be yielded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from codeswitch.errors import CodeswitchError

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def _worker_main(conn, func: Callable, initializer: Callable, initargs: tuple) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    try:
        initializer(*initargs)
        while True:
            task = conn.recv()
            if task is None:
                return
            try:
                conn.send((True, func(task)))
            except Exception as exc:  # noqa: BLE001 - handed to the parent, which re-raises it
                conn.send((False, exc))
    except (EOFError, OSError, KeyboardInterrupt):  # the parent is gone or stopping us
        pass
    finally:
        conn.close()


class WorkerDied(CodeswitchError):
    """A worker process ended without a result (killed, e.g. by the out-of-memory killer)."""


def ordered_map(
    ctx, workers: int, func: Callable[[Any], Any], tasks: Iterable[Any], initializer: Callable, initargs: tuple,
    window: int | None = None,
) -> Iterator[Any]:
    """Yield ``func(task)`` for every task in order, computed by ``workers`` processes of ``ctx``."""
    from multiprocessing.connection import wait

    window = window or 4 * workers
    procs, conns = _start(ctx, workers, func, initializer, initargs)
    try:
        it = iter(tasks)
        idle = list(range(workers))
        busy: dict[Any, tuple[int, int]] = {}  # connection -> (worker, task index)
        done: dict[int, Any] = {}
        sent = yielded = 0
        exhausted = False
        while True:
            while idle and not exhausted and sent - yielded < window:
                try:
                    task = next(it)
                except StopIteration:
                    exhausted = True
                    break
                w = idle.pop()
                _send(conns[w], task, w)
                busy[conns[w]] = (w, sent)
                sent += 1
            if yielded in done:
                yield done.pop(yielded)
                yielded += 1
                continue
            if not busy:
                if exhausted:
                    return
                continue
            for conn in wait(list(busy)):
                w, index = busy.pop(conn)
                try:
                    ok, value = conn.recv()
                except (EOFError, OSError):
                    raise WorkerDied(f"generate worker {w} ended without a result (exit code "
                                     f"{procs[w].exitcode}); out of memory? retry with fewer --workers") from None
                if not ok:
                    raise value
                done[index] = value
                idle.append(w)
    finally:
        _stop(procs, conns)


def _send(conn, task, w: int) -> None:
    try:
        conn.send(task)
    except (BrokenPipeError, ConnectionResetError):
        raise WorkerDied(f"generate worker {w} ended unexpectedly; out of memory? retry with fewer --workers") from None


@contextlib.contextmanager
def deferred_stop_signals() -> Iterator[None]:
    """Record SIGINT/SIGTERM inside the block; afterwards call the previous handler for the first one recorded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    previous = {s: h for s, h in previous.items() if h is not None}  # None: set outside Python, leave it alone
    for s in previous:
        signal.signal(s, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if caught:
        handler = previous[caught[0]]
        if callable(handler):
            handler(caught[0], None)  # the CLI's handler / Python's default_int_handler raise KeyboardInterrupt
        elif handler == signal.SIG_DFL:
            os.kill(os.getpid(), caught[0])


def _start(ctx, workers: int, func, initializer, initargs):
    procs, conns = [], []
    try:
        with deferred_stop_signals():
            for _ in range(workers):
                parent, child = ctx.Pipe()
                proc = ctx.Process(target=_worker_main, args=(child, func, initializer, initargs), daemon=True)
                procs.append(proc)
                conns.append(parent)
                proc.start()
                child.close()
    except BaseException:
        _stop(procs, conns)
        raise
    return procs, conns


def _stop(procs, conns) -> None:
    """Kill and reap every worker (they hold no shared lock, so this cannot hang)."""
    for proc in procs:
        if proc.pid is not None and proc.exitcode is None:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for proc in procs:
        if proc.pid is not None:
            proc.join()
    for conn in conns:
        conn.close()
