"""Tokenization with character offsets, so switching keeps the input's spacing and punctuation.

:func:`tokenize` returns :class:`Token` spans over the original string; joining the untouched
gaps with (possibly replaced) token texts reproduces the input exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A word is a run of letters/digits/marks (keeps combining marks of Indic scripts and Yoruba tones),
# with internal apostrophes or hyphens; any other non-space character is its own token.
_WORD = re.compile(r"[\w\u0300-\u036f\u0900-\u0dff]+(?:['’\-][\w\u0300-\u036f\u0900-\u0dff]+)*|[^\w\s]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Token:
    """A token: its text and ``[start, end)`` character offsets in the source string."""

    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        """True for word tokens (letters or digits), False for punctuation and symbols."""
        return self.text[:1].isalnum() or self.text[:1] == "_"


def tokenize(text: str, lang: str = "en") -> list[Token]:
    """Split ``text`` into tokens with offsets (fast path for whitespace-delimited scripts)."""
    return [Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
