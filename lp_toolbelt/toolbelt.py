"""Toolbelt: owns (or borrows) one aiohttp session and one rate limiter, and hands out the clients.

Every client a Toolbelt hands out shares its transport (session, limiter, retry policy, allowlist) and its caches
(CSDS domains, secrets, OAuth signers and tokens). Factories are cheap and do no I/O.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import aiohttp

from . import _constants as C
from . import clients, utils  # their other clients and utils load on first use (cold start), annotations resolve
from ._singleflight import SingleFlightCache
from .clients.csds import CsdsClient
from .clients.http import HttpClient
from .clients.lp import LpAuthCache, LpClient
from .clients.secrets import SecretClient
from .config import ToolbeltConfig
from .errors import ConfigurationError, ErrorCodes
from .redis_cache import SharedCache, make_shared_cache, shared_csds_cache, shared_token_cache
from .secrets_store import InMemorySecretStore, SecretStore, SettingsFile, SettingsFileSecretStore
from .secrets_store.file import SettingsFormatError
from .transport.allowlist import Allowlist
from .transport.limiter import RateLimiter, make_limiter
from .transport.retry import RetryPolicy
from .transport.send import Transport

__all__ = ["Toolbelt"]


class Toolbelt:
    """The entry point: ``async with Toolbelt() as tb:`` then ``tb.lp_client()``, ``tb.secret_client()``, ...

    Args:
        config: the configuration; ``None`` reads it from the environment (``ToolbeltConfig.from_env()``).
        session: an ``aiohttp.ClientSession`` to borrow (it is not closed on exit); ``None`` creates one.
        limiter: a rate limiter to use instead of the one the config selects.

    Use it as ``async with Toolbelt(...)`` (or call ``await tb.aclose()``): the session it creates on first use
    is closed there; a Toolbelt dropped without closing leaves aiohttp's "Unclosed client session" warning.

    Example::

        async with Toolbelt(ToolbeltConfig(account_id="12345678")) as tb:
            entry = await tb.secret_client().read_secret("my-key")
            resp = await tb.lp_client()("msgHist", "/messaging_history/api/account/12345678/...")
    """

    def __init__(
        self,
        config: ToolbeltConfig | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config = config if config is not None else ToolbeltConfig.from_env()
        cfg = self.config
        settings = SettingsFile(cfg.secrets_file) if cfg.secrets_file is not None else None
        whitelist: list[str] = []
        if settings is not None:
            try:
                whitelist = settings.whitelist()
            except SettingsFormatError as err:
                raise ConfigurationError("Toolbelt", ErrorCodes.CONFIG_INVALID, str(err)) from err
        self.allowlist = Allowlist((*cfg.allowlist, *whitelist))
        self.secret_store: SecretStore
        if cfg.secrets is not None:
            self.secret_store = InMemorySecretStore(cfg.secrets)
        elif cfg.secrets_file is not None:
            self.secret_store = SettingsFileSecretStore(cfg.secrets_file)
        else:
            self.secret_store = InMemorySecretStore({})
        self.limiter: RateLimiter = (
            limiter
            if limiter is not None
            else make_limiter(
                cfg.rate_limit,
                cfg.rate_limit_backend,
                redis_url=cfg.redis_url,
                account=cfg.account_id,
                expected_workers=cfg.expected_workers,
            )
        )
        self.transport = Transport(
            allowlist=self.allowlist,
            limiter=self.limiter,
            retry=RetryPolicy(cfg.max_retries, cfg.retry_backoff_base, cfg.retry_backoff_cap),
            timeout=cfg.timeout,
            session=session,
            user_agent=f"LP-Lambda-{cfg.function_uuid}" if cfg.function_uuid else None,
            clock=clock,
            sleep=sleep,
            rand=rand,
        )
        # rate_limit_backend="redis": CSDS domains and OAuth2 tokens are shared through Redis too (redis_cache.py).
        self.shared_cache: SharedCache | None = make_shared_cache(cfg)
        self.csds_cache: SingleFlightCache[str, dict[str, str]] = shared_csds_cache(self.shared_cache, cfg, clock)
        self.secret_cache: SingleFlightCache[str, Any] = SingleFlightCache(clock)
        self.token_cache: SingleFlightCache[tuple[str, str], str] = shared_token_cache(self.shared_cache, cfg, clock)
        self._signers = LpAuthCache()  # OAuth1 signers and parsed app keys, shared by every lp_client()

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def __aenter__(self) -> Toolbelt:
        _ = self.transport.session  # create it inside the running loop
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close what this Toolbelt owns (the session unless borrowed). Idempotent."""
        for cache in (self.csds_cache, self.secret_cache, self.token_cache):
            await cache.aclose()
        await self.transport.aclose()
        if self.shared_cache is not None:
            await self.shared_cache.aclose()

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` ran (leaving ``async with``); a closed Toolbelt sends nothing more."""
        return self.transport.closed

    # -- factories (cheap, no I/O) -------------------------------------------------------------------------
    def http_client(self) -> HttpClient:
        """The proxy-configured HTTP client for any allowlisted host."""
        return HttpClient(self.transport)

    def csds_client(self) -> CsdsClient:
        """CSDS service discovery (600 s cache, shared)."""
        return CsdsClient(self.transport, self.config, self.csds_cache)

    def secret_client(self) -> SecretClient:
        """Secret storage (5 min read cache, shared)."""
        return SecretClient(self.secret_store, self.secret_cache)

    def lp_client(self) -> LpClient:
        """Authenticated LivePerson API calls (CSDS + OAuth1 API key or OAuth2 app installation)."""
        return LpClient(
            self.transport,
            self.config,
            self.csds_client(),
            self.secret_client(),
            self._signers,
            self.token_cache,
        )

    # -- more factories are added below by the utils/clients modules -----------------------------------------

    def conversation_util(self) -> utils.ConversationUtil:
        """Conversations from the Messaging Interactions API (``get_conversation_by_id``) and the keyword scan.

        Example::

            conv = await tb.conversation_util().get_conversation_by_id(conversation_id)
            hits = tb.conversation_util().scan_conversation_for_keywords(conv, ["refund"])
        """
        return utils.ConversationUtil(self.lp_client(), self.config)

    def sde_util(self, *, timeout: float | None = None) -> utils.SDEUtil:
        """Engagement attributes: ``add_sdes`` (SMT API, 60 s deadline by default) and ``get_sdes_from_conv``.

        Example::

            await tb.sde_util().add_sdes([{"type": "ctmrinfo", "info": {"ctype": "vip"}}], visitor_id, session_id)
        """
        return utils.SDEUtil(self.lp_client(), self.config, timeout=C.SDE_TIMEOUT if timeout is None else timeout)

    def gdpr_util(self, *, concurrency: int = C.GDPR_CONCURRENCY) -> utils.GDPRUtil:
        """GDPR file replacement in the conversation file storage (Swift); ``concurrency`` PUTs at once.

        Example::

            replaced = await tb.gdpr_util().replace_conversation_files(conv, {"username": u, "password": p})
        """
        return utils.GDPRUtil(self.transport, self.config, self.csds_client(), concurrency=concurrency)

    def context_service_client(self, api_key: str) -> clients.ContextServiceClient:
        """The Context Session Store of the configured account, authorized with ``api_key`` (``maven-api-key``).

        The host is ``config.context_domain`` when set, else CSDS ``mavenContext``.

        Example::

            ctx = tb.context_service_client(api_key)
            await ctx.set_properties_in_namespace("orders", {"step": 2}, session_id="conv-1")
        """
        return clients.ContextServiceClient(self.transport, self.config, self.csds_client(), api_key)

    def sf_client(self) -> clients.SalesforceClient:
        """Salesforce REST connections on this Toolbelt's session and rate limiter.

        Example::

            con = tb.sf_client().connect_to_salesforce(login_url=login_url, access_token=token)
            result = await con.query("SELECT Id, Name FROM Account LIMIT 10")
        """
        return clients.SalesforceClient(self.transport)

    def __repr__(self) -> str:
        return f"Toolbelt(account_id={self.config.account_id!r}, csds={self.config.csds_domain!r})"
