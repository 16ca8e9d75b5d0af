"""JavaScript's case-insensitive comparison of text, as a regular expression with the ``i`` flag sees it (pure).

A JavaScript string is a sequence of UTF-16 code units, and a non-Unicode-mode regular expression (``new
RegExp(source, "gmi")``, as the Node toolbelt builds) compares one code unit at a time. With the ``i`` flag, two code
units match when they have the same *Canonicalize* value (ECMAScript, RegExp semantics, "Canonicalize (rer, ch)"):

* take the code unit's upper case (the full Unicode mapping, as ``String.prototype.toUpperCase``);
* if that is not exactly one code unit (``ß`` → ``SS``), the code unit stays itself;
* if the code unit is not ASCII but its upper case is (``ı`` → ``I``, ``ſ`` → ``S``), it stays itself;
* otherwise it becomes that upper case.

So ``ı`` does not match ``i``, ``İ`` does not match ``i``, ``ẞ`` does not match ``ß``, the Kelvin sign ``K`` does
not match ``k`` and the Ångström sign ``Å`` does not match ``å`` — unlike Python's ``re.IGNORECASE``. Characters
outside the Basic Multilingual Plane are two code units (a surrogate pair) with no case at all: ``𐐀`` does not
match ``𐐨``, and a lone surrogate matches inside a pair.

:func:`js_fold` maps a text to its code units' Canonicalize values, so two texts match each other
case-insensitively exactly when their folds are equal, and one contains the other exactly when its fold contains
the other's fold. The case data is the running Python's, plus the Basic Multilingual Plane mappings that Unicode
16.0 and 17.0 added (the Unicode version of Node 20.20 and later), so older Pythons agree with current Node.

Example::

    js_fold("Straße ſ İ k")      # 'STRAßE ſ İ K'
    js_fold("K") == js_fold("k")  # False: the Kelvin sign is its own upper case
    js_fold("😀")                 # '\\ud83d\\ude00' (two code units)
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final

__all__ = ["UNICODE_VERSION", "canonicalize", "js_fold", "to_code_units"]

UNICODE_VERSION: Final = "17.0"
"""The Unicode version of the case mappings: Node 20.20's (ICU 78), or the running Python's when newer."""

# Simple upper-case mappings in the Basic Multilingual Plane that Unicode 16.0 and 17.0 added. Pythons older than
# their Unicode data lack them; str.upper() already has them on newer ones (the same values).
_NEWER_UPPER: Final = {
    "\u019b": "\ua7dc",  # ƛ → Ƛ (16.0)
    "\u0264": "\ua7cb",  # ɤ → Ɤ (16.0)
    "\u1c8a": "\u1c89",  # Cyrillic small tje → capital tje (16.0)
    "\ua7cd": "\ua7cc",  # Latin small s with diagonal stroke (16.0)
    "\ua7cf": "\ua7ce",  # (17.0)
    "\ua7d3": "\ua7d2",  # Latin small double thorn (17.0)
    "\ua7d5": "\ua7d4",  # Latin small double wynn (17.0)
    "\ua7db": "\ua7da",  # Latin small lambda (16.0)
}
_ASTRAL_RANGE: Final = "\U00010000-\U0010ffff"
_ASTRAL: Final = re.compile(f"[{_ASTRAL_RANGE}]")


def canonicalize(unit: str) -> str:
    """ECMAScript's Canonicalize of one UTF-16 code unit (a one-character string below U+10000), non-Unicode mode.

    Example::

        canonicalize("a"), canonicalize("ß"), canonicalize("ı"), canonicalize("µ")   # ('A', 'ß', 'ı', 'Μ')
    """
    upper = _NEWER_UPPER.get(unit) or unit.upper()
    if len(upper) != 1 or (unit >= "\x80" and upper < "\x80"):
        return unit
    return upper


def _surrogate_pair(code: int) -> str:
    code -= 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


class _UnitTable(dict[int, str]):
    """``str.translate`` table of the special characters; characters outside the BMP become their surrogate pair."""

    def __missing__(self, code: int) -> str:
        return _surrogate_pair(code) if code >= 0x10000 else chr(code)


# The BMP characters that str.upper() changes but Canonicalize keeps: a multi-unit upper case (ß → SS, ﬁ → FI,
# ᾳ → ΑΙ, ...) or an ASCII one (ı → I, ſ → S). tests/unit/test_js_case.py derives this set from the Unicode data and
# checks every code unit against node.
_UNCHANGED: Final = (
    "\u00df\u0131\u0149\u017f\u01f0\u0390\u03b0\u0587\u1e96-\u1e9a\u1f50\u1f52\u1f54\u1f56\u1f80-\u1faf"
    "\u1fb2-\u1fb4\u1fb6\u1fb7\u1fbc\u1fc2-\u1fc4\u1fc6\u1fc7\u1fcc\u1fd2\u1fd3\u1fd6\u1fd7\u1fe2-\u1fe4"
    "\u1fe6\u1fe7\u1ff2-\u1ff4\u1ff6\u1ff7\u1ffc\ufb00-\ufb06\ufb13-\ufb17"
)


def _expand(char_class: str) -> list[int]:
    """The code points of a character class body made of characters and ``a-b`` ranges."""
    codes: list[int] = []
    index = 0
    while index < len(char_class):
        if char_class[index + 1 : index + 2] == "-":
            codes.extend(range(ord(char_class[index]), ord(char_class[index + 2]) + 1))
            index += 3
        else:
            codes.append(ord(char_class[index]))
            index += 1
    return codes


@cache
def _specials(units: bool) -> tuple[re.Pattern[str], _UnitTable]:
    """The characters str.upper() gets wrong for JavaScript (``_UNCHANGED``, the newer mappings and, for ``units``,
    everything outside the BMP) as a splitting pattern, and the ``str.translate`` table that maps them."""
    table = _UnitTable({code: chr(code) for code in _expand(_UNCHANGED)})
    table.update({ord(c): upper for c, upper in _NEWER_UPPER.items() if upper != c.upper()})
    newer = "".join(chr(code) for code in table if chr(code) != table[code])
    return re.compile(f"([{_UNCHANGED}{newer}{_ASTRAL_RANGE if units else ''}]+)"), table


# Special characters whose str.upper() has the right length but the wrong value for JavaScript.
_SAME_LENGTH: Final = "\u0131\u017f" + "".join(_NEWER_UPPER)


def js_fold(text: str, *, units: bool = True) -> str:
    """The Canonicalize value of every UTF-16 code unit of ``text`` (pure): ``js_fold(a) == js_fold(b)`` exactly when
    ``new RegExp(escaped(a), "i")`` matches all of ``b``. Characters outside the BMP count as two code units.

    ``units=False`` leaves characters outside the BMP whole (and lets them take their Python upper case): for a
    text only ever compared with folds that contain no surrogate, the result is the same, and cheaper.

    Example::

        js_fold("Refund İı") == js_fold("REFUND İı")   # True
        js_fold("i") == js_fold("ı")                     # False
    """
    if text.isascii():
        return text.upper()
    if not any(map(text.__contains__, _SAME_LENGTH)) and (
        not units or len(text.encode("utf-16-le", "surrogatepass")) == 2 * len(text)  # nothing outside the BMP
    ):
        parts = text.split("ß")  # the commonest multi-unit upper case (SS), kept whole
        uppers = [part.upper() for part in parts]
        if sum(map(len, uppers)) == len(text) - len(parts) + 1:  # no other one (ﬁ → FI, ᾳ → ΑΙ, ...)
            return "ß".join(uppers)
    pattern, table = _specials(units)
    parts = pattern.split(text)  # plain text at even indices, runs of special characters at odd ones
    parts[::2] = [part.upper() for part in parts[::2]]
    parts[1::2] = [part.translate(table) for part in parts[1::2]]
    return "".join(parts)


def to_code_units(text: str) -> str:
    """``text`` as JavaScript sees it: every character outside the BMP replaced by its surrogate pair (pure).

    Example::

        len(to_code_units("😀"))   # 2
    """
    if text.isascii():
        return text
    return _ASTRAL.sub(lambda match: _surrogate_pair(ord(match.group())), text)
