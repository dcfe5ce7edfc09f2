"""Atomic outputs and the debris of killed runs (issue 12)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codeswitch import atomic
from codeswitch.atomic import atomic_path, make_scratch, owner_tag
from codeswitch.errors import ConfigError


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not atomic.pid_alive(proc.pid)
    return proc.pid


def test_temporary_names_carry_pid_and_host(tmp_path):
    with atomic_path(tmp_path / "o.jsonl") as tmp:
        assert tmp.name == f".o.jsonl.tmp-{os.getpid()}@{atomic._HOST}"
        tmp.write_text("x")
    assert (tmp_path / "o.jsonl").read_text() == "x"


def test_debris_of_dead_runs_is_removed_and_live_or_foreign_kept(tmp_path):
    dead = _dead_pid()
    (tmp_path / f".o.jsonl.tmp-{dead}@{atomic._HOST}").write_text("210 MB of a killed run")
    (tmp_path / f".o.jsonl.tmp-{dead}@{atomic._HOST}.parquet").write_text("its helper")
    (tmp_path / f".o.jsonl.tmp-{dead}@{atomic._HOST}").with_name(f".al.tmp-{dead}@{atomic._HOST}").mkdir()
    live = tmp_path / f".o.jsonl.tmp-1@{atomic._HOST}"  # pid 1 is alive: another run may be writing
    live.write_text("")
    foreign = tmp_path / f".o.jsonl.tmp-{dead}@otherhost"  # a shared file system: not ours to judge
    foreign.write_text("")
    with atomic_path(tmp_path / "o.jsonl") as tmp:
        tmp.write_text("new")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["o.jsonl", live.name, foreign.name, f".al.tmp-{dead}@{atomic._HOST}"])
    with atomic_path(tmp_path / "al") as tmp:
        tmp.mkdir()
    assert f".al.tmp-{dead}@{atomic._HOST}" not in os.listdir(tmp_path)


def test_stale_scratch_folders_are_removed(tmp_path):
    dead = _dead_pid()
    stale = tmp_path / f"codeswitch-eflomal-{dead}@{atomic._HOST}-abc"
    stale.mkdir()
    (stale / "src").write_text("eflomal input")
    mine = make_scratch("eflomal", tmp_path)
    assert mine.name.startswith(f"codeswitch-eflomal-{owner_tag()}-")
    assert sorted(os.listdir(tmp_path)) == [mine.name]


def test_unwritable_output_is_a_one_line_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot write .*o\.jsonl \(Permission denied\)"):
        with atomic_path(tmp_path / "o.jsonl") as tmp:
            raise PermissionError(13, "Permission denied", str(tmp))
    assert os.listdir(tmp_path) == []


def test_read_only_folder(tmp_path, monkeypatch):
    """A folder the user may not write to (simulated: root, as in CI, may write anywhere)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.access
    monkeypatch.setattr(atomic.os, "access", lambda p, mode: False if Path(p) == ro else real(p, mode))
    with pytest.raises(ConfigError, match=f"cannot write {ro / 'o.jsonl'}: folder {ro} is not writable"):
        atomic.check_output(ro / "o.jsonl", False)
    atomic.check_output(tmp_path / "o.jsonl", False)  # a writable folder passes


def test_kill_9_then_rerun_leaves_no_debris(tmp_path):
    """generate killed with -9 (or by the OOM killer) mid-write; the next run removes its temporary."""
    import json
    import signal
    import time

    from tests.conftest import REPO

    with open(tmp_path / "pairs.jsonl", "w", encoding="utf-8") as fh:
        for i in range(60000):
            fh.write(json.dumps({"id": f"q{i}", "query": "red house", "passage": "the red house is big " * 5}) + "\n")
    (tmp_path / "en-de.txt").write_text("house Haus\nred rot\n", encoding="utf-8")
    args = ["generate", "pairs.jsonl", "--lexicon", str(tmp_path / "en-de.txt"), "--out", "o.jsonl", "-q",
            "--workers", "2"]
    code = "import sys; from codeswitch.cli import main; main(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        temps = [p for p in tmp_path.iterdir() if p.name.startswith(".o.jsonl.tmp-") and p.stat().st_size > 0]
        if temps:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert temps, "generate finished before it could be killed"
    time.sleep(0.5)  # PR_SET_PDEATHSIG: the workers die with the parent
    from tests.test_cli_signals import _leftover_processes

    assert _leftover_processes(str(tmp_path)) == []  # no orphaned worker
    rerun = subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["en-de.txt", "o.jsonl", "o.stats.json", "pairs.jsonl"]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EFBIG, errno.EDQUOT])
def test_a_full_disk_names_the_users_file_not_our_temporary(tmp_path, code):
    target = tmp_path / "o.jsonl"
    with pytest.raises(ConfigError, match=r"cannot write .*o\.jsonl \(") as info:  # noqa: PT012
        with atomic_path(target) as tmp, open(tmp, "w") as fh:
            fh.write("x")
            raise OSError(code, os.strerror(code))  # what a write through a handle raises: no file name
    assert ".tmp-" not in str(info.value)
    assert os.listdir(tmp_path) == []


def test_a_file_size_limit_is_one_error_line_naming_the_output(tmp_path, shared_data):
    """``ulimit -f`` (Python ignores SIGXFSZ, so the write fails with EFBIG): the Error: line names --out."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    out = tmp_path / "o.jsonl"
    code = "import sys; from codeswitch.cli import main; sys.argv[0] = 'codeswitch'; main()"
    proc = subprocess.run([sys.executable, "-c", code, "generate", str(shared_data / "xquad" / "xquad.en.json"),
                           "--lexicon", "cldr:sw", "--out", str(out), "-q"], capture_output=True, text=True,
                          preexec_fn=limit, timeout=300)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert proc.returncode != 0 and errors == [f"Error: cannot write {out} (File too large); choose a writable "
                                               "output path with room to spare"], proc.stderr
    assert "Traceback" not in proc.stderr
    assert os.listdir(tmp_path) == []


def test_a_folder_output_where_a_file_is_names_the_users_path(tmp_path):
    (tmp_path / "results").write_text("the user's file")
    in_the_way = pytest.raises(ConfigError, match="a file of that name is in the way")
    with in_the_way, atomic_path(tmp_path / "results") as tmp:
        tmp.mkdir()
    assert (tmp_path / "results").read_text() == "the user's file"
    assert os.listdir(tmp_path) == ["results"]


def test_check_output_refuses_the_other_kind_before_any_work(tmp_path):
    (tmp_path / "a-file").write_text("keep", encoding="utf-8")
    (tmp_path / "a-dir").mkdir()
    with pytest.raises(ConfigError, match="a file of that name is in the way"):
        atomic.check_output(tmp_path / "a-file", overwrite=True, folder=True)
    with pytest.raises(ConfigError, match="a folder of that name is in the way"):
        atomic.check_output(tmp_path / "a-dir", overwrite=True, folder=False)
    atomic.check_output(tmp_path / "a-dir", overwrite=True, folder=True)
    atomic.check_output(tmp_path / "a-file", overwrite=True)  # no kind given: only the overwrite rule
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "keep"


def test_evaluate_refuses_a_file_in_the_way_before_loading_the_model(tmp_path, monkeypatch):
    import evaluation.evaluate as ev

    def no_load(config):
        raise AssertionError("the model was loaded before the output path was checked")

    monkeypatch.setattr(ev, "build_model", no_load)
    (tmp_path / "out").write_text("keep", encoding="utf-8")
    config = ev.EvalConfig(model="bm25", datasets=("xquad-r/de",))
    with pytest.raises(ConfigError, match="a file of that name is in the way"):
        ev.evaluate(config, tmp_path / "out", overwrite=True)
    assert (tmp_path / "out").read_text(encoding="utf-8") == "keep"
