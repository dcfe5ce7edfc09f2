"""Silence library messages that are known to be harmless here, at the loggers that print them.

Each entry is (logger, start of the message, why it is harmless). Everything else, warnings included,
still prints. Installed once by the ``codeswitch`` command (:func:`install`); importing this module
imports no library.
"""

from __future__ import annotations

import logging

KNOWN = (
    ("torchao", "Failed to load ",
     "torchao probes optional CUDA / mxfp8 kernels (.so files) at import; the CPU int8 path never uses them"),
    ("torch.utils._pytree", "<enum ",
     "torchao registers its enums with torch.compile the pre-2.13 way (a deprecation notice to torchao)"),
    ("transformers.trainer_utils", "The tokenizer has new PAD/BOS/EOS tokens",
     "an encoder never generates: aligning generation-config token ids changes no vector"),
)


class _Drop(logging.Filter):
    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(self.start)


def install() -> None:
    """Add the filters of :data:`KNOWN` once (idempotent)."""
    for name, start, _ in KNOWN:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Drop) and f.start == start for f in logger.filters):
            logger.addFilter(_Drop(start))
