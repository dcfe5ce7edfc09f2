"""Dense commands print none of the known-harmless library notices (codeswitch/quiet.py), and real warnings
still print."""

from __future__ import annotations

import logging
import subprocess
import sys

from codeswitch import quiet

NOISE = ("Failed to load ", "is an Enum subclass and is now natively supported", "has new PAD/BOS/EOS tokens")


def test_a_dense_command_prints_no_known_noise(tmp_path, tiny_xlmr, shared_data):
    # a subprocess, as a user runs it: the libraries are imported fresh, int8 (torchao) included
    out = subprocess.run([sys.executable, "-c", "import sys; from codeswitch.cli import main; sys.argv[0] = "
                          "'codeswitch'; main()", "evaluate", "--model", str(tiny_xlmr), "--dataset", "xquad-r",
                          "--langs", "en", "--titles", str(_titles(tmp_path, shared_data)), "--data-dir",
                          str(shared_data), "--quantize", "int8", "--out", str(tmp_path / "o")],
                         capture_output=True, text=True)
    text = out.stdout + out.stderr
    assert not [line for line in text.splitlines() if any(n in line for n in NOISE)], text[-2000:]


def _titles(tmp_path, shared_data):
    import json

    doc = json.loads((shared_data / "xquad" / "xquad.en.json").read_text(encoding="utf-8"))
    path = tmp_path / "titles.txt"
    path.write_text(doc["data"][0]["title"] + "\n", encoding="utf-8")
    return path


def test_filters_drop_only_the_known_messages(caplog):
    quiet.install()
    quiet.install()  # idempotent
    log = logging.getLogger("torchao")
    assert sum(1 for f in log.filters if isinstance(f, quiet._Drop)) == 1
    with caplog.at_level(logging.WARNING):
        log.warning("Failed to load /x/_C_mxfp8.so: Could not load this library")
        log.warning("a real torchao warning")
    assert [r.getMessage() for r in caplog.records] == ["a real torchao warning"]
