"""Namespace: one Context Session Store namespace as the service lists it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Namespace"]


class Namespace(BaseModel):
    """A Context Session Store namespace: ``name``, ``created_at`` and, when it expires, ``ttl_second``.

    The wire names are ``name``, ``createdAt`` (ISO 8601, e.g. ``"2019-08-02T19:41:52.017Z"``) and
    ``ttlSecond``; unknown fields are kept.

    Example::

        ns = await ctx.create_namespace("orders", ttl=3600)
        print(ns.name, ns.created_at.isoformat(), ns.ttl_second)
        ns.model_dump(by_alias=True)            # {"name": ..., "createdAt": ..., "ttlSecond": 3600}
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    name: str
    created_at: datetime = Field(alias="createdAt")
    ttl_second: int | None = Field(default=None, alias="ttlSecond")
