"""A lexicon that ships with the package: Unicode CLDR names, read through Babel.

CLDR (bundled in the ``babel`` wheel, no network) names every language, territory, month and
weekday in hundreds of locales, including sw, yo, te, bn, th and hi. Pairing the English name
with the target-locale name gives a small, clean bilingual lexicon (``--lexicon cldr:sw``); it is
the lexicon of the embedded demo. Entries whose two sides are equal (``Kenya``/``Kenya``) are
dropped: switching them changes nothing.
"""

from __future__ import annotations

from codeswitch.errors import ConfigError


def _names(locale) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for field in ("territories", "languages"):
        for code, name in getattr(locale, field).items():
            out[(field, str(code))] = name
    for field in ("months", "days"):
        for width in ("wide",):
            for key, name in getattr(locale, field)["format"][width].items():
                out[(field, str(key))] = name
    return out


def cldr_pairs(src_lang: str, tgt_lang: str) -> list[tuple[str, str]]:
    """(source name, target name) pairs for languages, territories, months and weekdays.

    Ordered by category then CLDR key, so the result is the same on every run.

    Raises:
        ConfigError: when Babel has no locale data for one of the languages.
    """
    from babel import Locale, UnknownLocaleError

    try:
        src, tgt = Locale.parse(src_lang), Locale.parse(tgt_lang)
    except (UnknownLocaleError, ValueError) as exc:
        raise ConfigError(f"Babel/CLDR has no locale for {exc}; use a lexicon file instead of cldr:") from None
    src_names, tgt_names = _names(src), _names(tgt)
    pairs = []
    for key in sorted(src_names):
        s, t = src_names[key], tgt_names.get(key)
        if t and s.strip() and t.strip() and s.lower() != t.lower():
            pairs.append((s, t))
    return pairs
