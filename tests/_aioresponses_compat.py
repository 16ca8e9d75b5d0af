"""Test-only compatibility shim: aioresponses 0.7.9 on aiohttp >= 3.14.

aiohttp 3.14 made ``ClientResponse.__init__`` require ``stream_writer``; aioresponses 0.7.9 does not pass it
(``TypeError: ClientResponse.__init__() missing ... 'stream_writer'``; upstream issue
pnuckowski/aioresponses#289, fix in PR #288, not released yet). For a response built with ``writer=None``
aiohttp only reads ``stream_writer.output_size``, so a stand-in with ``output_size=0`` is enough.
Remove this module once an aioresponses release passes ``stream_writer`` itself.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import aioresponses.core
from aiohttp import ClientResponse

_NEEDS_SHIM = "stream_writer" in inspect.signature(ClientResponse.__init__).parameters


class _CompatClientResponse(ClientResponse):
    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


def install() -> None:
    """Make aioresponses build responses aiohttp >= 3.14 accepts (no-op where not needed)."""
    if _NEEDS_SHIM:
        aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[attr-defined]
