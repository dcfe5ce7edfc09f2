"""The language table: ISO codes the toolkit knows, their names, and how their text is segmented.

Codes are ISO 639-1 where one exists, else ISO 639-3 (DESIGN.md). :func:`check_lang` is the one
place that rejects an unknown code, listing the supported ones.
"""

from __future__ import annotations

from codeswitch.errors import ConfigError

# code -> English name. Covers MIRACL, Mr.TyDi, XQuAD(-R), MLQA(-R), MUSE, Wiktionary BLI, WECHSEL and AfriQA
# (bem, rw, tw: Bemba has no ISO 639-1 code, so its 639-3 one).
LANGUAGES: dict[str, str] = {
    "af": "afrikaans", "am": "amharic", "ar": "arabic", "as": "assamese", "bn": "bengali",
    "de": "german", "el": "greek", "en": "english", "es": "spanish", "fa": "persian",
    "fi": "finnish", "fr": "french", "gu": "gujarati", "ha": "hausa", "he": "hebrew",
    "hi": "hindi", "id": "indonesian", "ig": "igbo", "it": "italian", "ja": "japanese",
    "kn": "kannada", "ko": "korean", "ln": "lingala", "ml": "malayalam", "mr": "marathi",
    "ne": "nepali", "nl": "dutch", "nso": "northern_sotho", "om": "oromo", "or": "oriya",
    "pa": "punjabi", "pt": "portuguese", "ro": "romanian", "ru": "russian", "si": "sinhalese",
    "sn": "shona", "so": "somali", "sw": "swahili", "ta": "tamil", "te": "telugu",
    "th": "thai", "ti": "tigrinya", "tn": "tswana", "tr": "turkish", "ur": "urdu",
    "vi": "vietnamese", "wo": "wolof", "xh": "xhosa", "yo": "yoruba", "zh": "chinese",
    "zu": "zulu", "bem": "bemba", "rw": "kinyarwanda", "tw": "twi",
}

# Scripts written without spaces between words: whitespace/punctuation splitting is wrong there.
UNSEGMENTED = frozenset({"th", "zh", "ja", "ko"})

NAME_TO_CODE: dict[str, str] = {name: code for code, name in LANGUAGES.items()}

# The MIRACL low-resource set reported by default (state it in every table).
LOW_RESOURCE = ("sw", "yo", "te", "bn", "hi", "th")


def check_lang(code: str, what: str = "language") -> str:
    """Return ``code`` normalised to lower case, or raise naming the supported codes."""
    norm = code.strip().lower().replace("-", "_")
    if norm in LANGUAGES:
        return norm
    if norm in NAME_TO_CODE:
        return NAME_TO_CODE[norm]
    raise ConfigError(
        f"unknown {what} {code!r}; supported ISO codes: {', '.join(sorted(LANGUAGES))}"
    )
