"""The secret-update rule: one pure function, shared by ``SecretClient.update_secret`` and ``lp-toolbelt secrets set``.

LivePerson's contract (Secret Storage): keys match ``[A-Za-z0-9_-]{1,100}``, keys starting with
``LIVEPERSON_DEFAULT_`` are system secrets and cannot be written, and the serialized value is at most 16384
characters. "Serialized" and "characters" mean what they mean to the Node toolbelt: ``JSON.stringify(value).length``
— compact separators, non-ASCII characters written as themselves, and the length counted in UTF-16 code units (a
character outside the Basic Multilingual Plane, such as an emoji, counts 2).

Python's ``json.dumps`` differs from ``JSON.stringify`` in ways that change the count or the value, so the text is
built here, as JavaScript writes it:

* ``NaN`` and ``±Infinity`` are refused: JSON.stringify would write ``null`` (the value silently changes) and
  ``json.dumps`` writes ``NaN`` (not JSON at all: a settings.json holding it cannot be parsed by Node);
* numbers are written as JavaScript writes them (``1e-7``, ``1e+21``, ``100`` for ``100.0``, ``0`` for ``-0.0``);
  an integer beyond ±(2**53 - 1) is refused, since a JavaScript number cannot hold it exactly;
* a lone surrogate is written as a ``\\udXXX`` escape (ES2019's well-formed JSON.stringify);
* object keys must be strings, and only ``dict``, ``list``/``tuple``, ``str``, ``int``, ``float``, ``bool`` and
  ``None`` are JSON.

The text this returns is the canonical form of the value: what is counted is what is stored
(``json.loads(text)``), whichever path writes it.

Example::

    text = check_secret_update("crm-token", {"token": "t0k3n"})   # '{"token":"t0k3n"}'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Final

from .. import _constants as C
from ..errors import ErrorCodes, InvalidArgumentError, ToolbeltError

__all__ = ["check_secret_update", "js_length", "js_stringify", "parse_json", "validate_secret_key", "well_formed"]

COMPONENT: Final = "SecretClient"
MAX_SAFE_INTEGER: Final = 2**53 - 1  # Number.MAX_SAFE_INTEGER
_KEY_RE: Final = re.compile(C.SECRET_KEY_PATTERN)
_SURROGATE_PAIR: Final = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def validate_secret_key(key: object) -> str:
    """The key if it matches ``[A-Za-z0-9_-]{1,100}``; an InvalidArgumentError (``secret.invalid-format``) otherwise.

    Example::

        validate_secret_key("crm-token")      # 'crm-token'
    """
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise InvalidArgumentError(
            COMPONENT, ErrorCodes.SECRET_INVALID_FORMAT, "secret keys must match [A-Za-z0-9_-]{1,100}"
        )
    return key


def check_secret_update(key: object, value: object) -> str:
    """Validate writing ``value`` under ``key`` and return the value's canonical text (``JSON.stringify``'s).

    Raises, before anything is written: InvalidArgumentError (``secret.invalid-format``) for a bad key, a value
    that is not JSON (NaN, Infinity, a set, a non-string object key, an unsafe integer...) or one whose text is
    over 16384 UTF-16 code units; ToolbeltError (``secret.forbidden``, status 403) for a ``LIVEPERSON_DEFAULT_*`` key.

    Example::

        check_secret_update("k", "x" * 16382)       # 16384 characters with the quotes: accepted
        check_secret_update("k", float("nan"))      # InvalidArgumentError
    """
    name = validate_secret_key(key)
    if name.startswith(C.SYSTEM_SECRET_PREFIX):
        raise ToolbeltError(
            COMPONENT, ErrorCodes.SECRET_FORBIDDEN, f"system secret {name!r} cannot be updated", status=403
        )
    try:
        text = js_stringify(value)
    except (TypeError, ValueError) as err:
        raise InvalidArgumentError(
            COMPONENT, ErrorCodes.SECRET_INVALID_FORMAT, f"the secret value is not JSON: {err}"
        ) from err
    except RecursionError as err:
        raise InvalidArgumentError(
            COMPONENT, ErrorCodes.SECRET_INVALID_FORMAT, "the secret value is nested too deeply"
        ) from err
    size = js_length(text)
    if size > C.SECRET_VALUE_MAX_CHARS:
        raise InvalidArgumentError(
            COMPONENT,
            ErrorCodes.SECRET_INVALID_FORMAT,
            f"the serialized secret value has {size} characters, more than {C.SECRET_VALUE_MAX_CHARS}",
        )
    return text


def parse_json(text: str | bytes) -> Any:
    """``JSON.parse(text)``: Python's ``json.loads`` without its NaN / Infinity extension (ValueError for them).

    Example::

        parse_json('{"a": 1}')      # {'a': 1}
        parse_json("NaN")           # ValueError, as JSON.parse throws
    """
    return json.loads(text, parse_constant=_refuse_constant)


def _refuse_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def js_length(text: str) -> int:
    """``text.length`` in JavaScript: UTF-16 code units (a code point above U+FFFF counts 2)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def js_stringify(value: object) -> str:
    """``JSON.stringify(value)`` for a JSON value, except that NaN/Infinity and unsafe integers raise ValueError.

    TypeError for anything that is not JSON (see the module docstring).

    Example::

        js_stringify({"a": [1.0, 1e-7, "é"]})       # '{"a":[1,1e-7,"é"]}'
    """
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: object, out: list[str]) -> None:
    if value is None or isinstance(value, bool):
        out.append("null" if value is None else ("true" if value else "false"))
    elif isinstance(value, str):
        out.append(_js_string(value))
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError("integers beyond ±(2**53 - 1) cannot be held exactly by JSON.stringify; store a string")
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(_js_number(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (name, item) in enumerate(value.items()):
            if not isinstance(name, str):
                raise TypeError(f"object keys must be strings, not {type(name).__name__}")
            if index:
                out.append(",")
            out.append(_js_string(name))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"a {type(value).__name__} is not a JSON value")


def well_formed(json_text: str) -> str:
    """A JSON text written with ``ensure_ascii=False``, with its surrogates as JSON.stringify writes them: a pair as
    its character, a lone one as the ``\\udxxx`` escape (such a text can always be encoded as UTF-8)."""
    if not _SURROGATE.search(json_text):
        return json_text
    paired = _SURROGATE_PAIR.sub(lambda m: m[0].encode("utf-16-le", "surrogatepass").decode("utf-16-le"), json_text)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", paired)


def _js_string(text: str) -> str:
    # json.dumps escapes exactly what JSON.stringify escapes (quote, backslash, controls as \b \f \n \r \t or
    # \u00xx, in lower-case hex), except surrogates.
    return well_formed(json.dumps(text, ensure_ascii=False))


def _js_number(number: float) -> str:
    """ECMAScript Number::toString for a finite double (Python's repr finds the same shortest digits)."""
    if not math.isfinite(number):
        raise ValueError(f"{number!r} is not JSON (JSON.stringify would write null)")
    if number == 0:
        return "0"  # -0 too
    sign = "-" if number < 0 else ""
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    scale = int(exponent or 0) - len(fraction)  # abs(number) == int(whole + fraction) * 10**scale
    stripped = digits.rstrip("0")
    scale += len(digits) - len(stripped)
    k = len(stripped)
    n = scale + k  # abs(number) == 0.<stripped> * 10**n
    if k <= n <= 21:
        text = stripped + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{stripped[:n]}.{stripped[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + stripped
    else:
        power = n - 1
        head = stripped if k == 1 else f"{stripped[0]}.{stripped[1:]}"
        text = f"{head}e{'+' if power >= 0 else '-'}{abs(power)}"
    return sign + text
