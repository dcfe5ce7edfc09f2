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


# ------------------------------------------------------- generate --workers N: signals at any moment (issue 12)

_SCRIPT = """
import os, signal, sys
from pathlib import Path
try:  # pretend to have as many CPUs as workers are asked for, so every worker is really forked
    import codeswitch.options as options
    options.usable_cpus = lambda: {cpus}
except ImportError:
    pass
forks = [0]
def after_fork():
    forks[0] += 1
    if forks[0] == {marker_at}:
        Path({marker!r}).write_text("forking")
    if forks[0] == {kill_at}:
        os.kill(os.getpid(), signal.{signal})  # arrives while Python runs this very fork hook
os.register_at_fork(after_in_parent=after_fork)
from codeswitch.cli import main
main(sys.argv[1:])
"""


def _input(tmp_path, pairs: int) -> list[str]:
    import json

    path = tmp_path / "pairs.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(pairs):
            fh.write(json.dumps({"id": f"q{i}", "query": "red house", "passage": "the red house is big"}) + "\n")
    (tmp_path / "en-de.txt").write_text("house Haus\nred rot\n", encoding="utf-8")
    return [str(path), "--lexicon", str(tmp_path / "en-de.txt")]


def _leftover_processes(marker: str) -> list[int]:
    """Pids of live processes whose command line mentions ``marker`` (forked workers share the parent's)."""
    from pathlib import Path

    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                cmd = (proc / "cmdline").read_bytes()
                state = (proc / "stat").read_text().split(") ")[-1][:1]
            except OSError:
                continue
            if marker.encode() in cmd and state != "Z":
                found.append(int(proc.name))
    return found


def _start(tmp_path, workers: int, kill_at: int, session: bool = False, chunks: int = 1):
    import subprocess
    import sys

    from tests.conftest import REPO

    marker = tmp_path / "forking"
    script = _SCRIPT.format(cpus=workers, marker_at=min(8, workers), marker=str(marker), kill_at=kill_at,
                            signal="SIGTERM")
    args = [*_input(tmp_path, workers * 256 * chunks), "--workers", str(workers),
            "--out", str(tmp_path / "out.jsonl"), "-q"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", script, "generate", *args], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=session)
    return proc, marker


def _finish(proc, tmp_path, seconds: float = 10.0):
    import subprocess

    try:
        out, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        for pid in [proc.pid, *_leftover_processes(str(tmp_path))]:
            os.kill(pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"generate did not end within {seconds} s of the signal")
    deadline = time.monotonic() + 5
    while _leftover_processes(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return out, err


@pytest.mark.skipif(not os.path.isdir("/proc") or "fork" not in mp.get_all_start_methods(), reason="needs fork, /proc")
@pytest.mark.parametrize("workers", [8, 64])
def test_sigterm_inside_a_fork_hook_ends_generate(tmp_path, workers):
    # issue 12: the signal used to be raised inside the fork hook and swallowed (hang, or exit 0 with output)
    proc, _ = _start(tmp_path, workers, kill_at=workers // 2)
    out, err = _finish(proc, tmp_path)
    assert proc.returncode != 0, out + err
    assert "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["en-de.txt", "forking", "pairs.jsonl"]  # no output, no temp
    assert _leftover_processes(str(tmp_path)) == []


@pytest.mark.skipif(not os.path.isdir("/proc") or "fork" not in mp.get_all_start_methods(), reason="needs fork, /proc")
def test_sigterm_from_outside_during_worker_start_up(tmp_path):
    proc, marker = _start(tmp_path, 64, kill_at=-1)
    deadline = time.monotonic() + 20
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)  # while the 64 workers are being forked
    sent = time.monotonic()
    out, err = _finish(proc, tmp_path)
    assert time.monotonic() - sent < 10
    assert proc.returncode != 0, out + err
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "out.stats.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    assert _leftover_processes(str(tmp_path)) == []


@pytest.mark.skipif(not os.path.isdir("/proc") or "fork" not in mp.get_all_start_methods(), reason="needs fork, /proc")
def test_ctrl_c_with_two_workers_prints_no_worker_traceback(tmp_path):
    # Ctrl-C reaches the whole process group: workers must not print a KeyboardInterrupt traceback
    # 400 chunks of 256 pairs: seconds of work, so a loaded machine cannot finish it before the signal
    proc, marker = _start(tmp_path, 2, kill_at=-1, session=True, chunks=400)
    deadline = time.monotonic() + 20
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.2)
    assert proc.poll() is None, "generate ended before the signal; give it more work"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = _finish(proc, tmp_path)
    assert proc.returncode != 0 and "Traceback" not in err, err
    assert not (tmp_path / "out.jsonl").exists()
    assert _leftover_processes(str(tmp_path)) == []
