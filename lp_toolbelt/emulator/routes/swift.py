"""Emulated Swift object storage (GDPR file replacement): filled in by a later change."""

from __future__ import annotations

from aiohttp import web

from ..state import EmulatorState


def setup(app: web.Application, state: EmulatorState) -> None:
    """Filled in by a later change."""
