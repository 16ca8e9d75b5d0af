"""CSDS (service discovery): LivePerson service name → host, cached 600 s, one fetch however many ask.

Example::

    csds = tb.csds_client()
    host = await csds.get("msgHist")          # "va.msghist.liveperson.net"
"""

from __future__ import annotations

from typing import Any

from yarl import URL

from .. import _constants as C
from .._singleflight import SingleFlightCache
from ..config import ToolbeltConfig
from ..errors import ErrorCodes, InvalidArgumentError, NotFoundError, StatusErrors, ToolbeltError
from ..telemetry import note_cache, traced
from ..transport.request import Request
from ..transport.send import Transport

__all__ = ["CSDS_STATUS_ERRORS", "CsdsClient", "csds_request", "parse_csds_response"]

COMPONENT = "CSDSClient"
CSDS_STATUS_ERRORS = StatusErrors(COMPONENT, ErrorCodes.CSDS_OP_FAILED, cls=ToolbeltError)


def csds_request(config: ToolbeltConfig, account_id: str) -> Request:
    """The CSDS request for all of an account's services (pure)."""
    url = URL.build(
        scheme=config.scheme,
        authority=config.csds_domain,
        path=f"/api/account/{account_id}/service/baseURI.json",
        query={"version": "1.0"},
    )
    return Request("GET", url)


def parse_csds_response(payload: Any) -> dict[str, str]:
    """``{"baseURIs": [{"service", "baseURI"}, ...]}`` → ``{service: host}`` (pure; raises on other shapes)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("baseURIs"), list):
        raise ValueError("no baseURIs list")
    out: dict[str, str] = {}
    for item in payload["baseURIs"]:
        if isinstance(item, dict) and isinstance(item.get("service"), str) and isinstance(item.get("baseURI"), str):
            out[item["service"]] = item["baseURI"]
    return out


class CsdsClient:
    """Service discovery for the configured account (cache shared by every client of one Toolbelt)."""

    def __init__(
        self,
        transport: Transport,
        config: ToolbeltConfig,
        cache: SingleFlightCache[str, dict[str, str]],
    ) -> None:
        self._transport = transport
        self._config = config
        self._cache = cache

    @traced("csds")
    async def get(self, service: str) -> str:
        """The host (``host`` or ``host:port``, no scheme) of a CSDS service (span ``csds get``).

        Raises NotFoundError (``csds.domain.not-found``) for a service the account does not have, ToolbeltError
        (``csds.op-failed``) when CSDS cannot be read.

        Example::

            host = await csds.get(LpServices.MSG_HIST)
        """
        return await self.resolve(service)

    async def resolve(self, service: str) -> str:
        """:meth:`get` without a span of its own: the lookup other clients make inside their calls.

        Raises NotFoundError (``csds.domain.not-found``) for a service the account does not have, ToolbeltError
        (``csds.op-failed``) when CSDS cannot be read.

        Example::

            host = await csds.get(LpServices.MSG_HIST)
        """
        if not isinstance(service, str) or not service:
            raise InvalidArgumentError(
                COMPONENT, ErrorCodes.CSDS_DOMAIN_NOT_FOUND, "service must be a non-empty string"
            )
        account = self._config.require_account(COMPONENT)
        # Hot path (every LP call): a fresh cached map is read in place — no fetch, no copy, no extra coroutine.
        domains = self._cache.peek(account)
        note_cache("csds", domains is not None)
        if domains is None:
            domains = await self.domains()
        try:
            return domains[str(service)]
        except KeyError as err:
            raise NotFoundError(
                COMPONENT,
                ErrorCodes.CSDS_DOMAIN_NOT_FOUND,
                f"CSDS has no domain for service {str(service)!r}",
            ) from err

    @traced("csds")
    async def get_all(self) -> dict[str, str]:
        """Every service of the account: ``{service: host}`` (a copy of the cached map)."""
        return dict(await self.domains())

    def peek(self) -> dict[str, str] | None:
        """The account's cached map while fresh, else None (no I/O, no copy: do not mutate it)."""
        account = self._config.account_id
        return self._cache.peek(account) if account else None

    async def domains(self) -> dict[str, str]:
        """The account's cached map (fetched once however many ask; no copy: do not mutate it)."""
        account = self._config.require_account(COMPONENT)
        return await self._cache.get(account, lambda: self._fetch(account))

    async def _fetch(self, account: str) -> tuple[dict[str, str], float]:
        try:
            resp = await self._transport.send(csds_request(self._config, account), component=COMPONENT)
        except ToolbeltError as err:
            raise ToolbeltError(
                COMPONENT, ErrorCodes.CSDS_OP_FAILED, f"CSDS request failed: {err.message}", status=err.status
            ) from err
        if not resp.ok:
            raise CSDS_STATUS_ERRORS.error(resp.status, f"CSDS answered {resp.status} for account {account}")
        try:
            return parse_csds_response(resp.json()), C.CSDS_CACHE_TTL
        except (ValueError, ToolbeltError) as err:
            raise ToolbeltError(
                COMPONENT,
                ErrorCodes.CSDS_OP_FAILED,
                "CSDS answered with an unexpected body",
                status=resp.status,
            ) from err

    def __repr__(self) -> str:
        return f"CsdsClient(domain={self._config.csds_domain!r})"
