"""Toolbelt: owns (or borrows) one aiohttp session and one rate limiter, and hands out the clients.

Every client a Toolbelt hands out shares its transport (session, limiter, retry policy, allowlist) and its caches
(CSDS domains, secrets, app-key credentials and tokens). Factories are cheap and do no I/O.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from . import _constants as C
from . import clients, utils  # their other clients and utils load on first use (cold start), annotations resolve
from ._singleflight import SingleFlightCache
from .clients.app_keys import AppKeys
from .clients.csds import CsdsClient
from .clients.http import HttpClient
from .clients.lp import LpClient
from .clients.secrets import SecretClient
from .config import ToolbeltConfig
from .errors import ConfigurationError, ErrorCodes
from .redis import make_redis_limiter, make_shared_cache, shared_csds_cache, shared_token_cache
from .secrets_store import InMemorySecretStore, SecretStore, SettingsFile, SettingsFileSecretStore
from .secrets_store.file import SettingsFormatError
from .telemetry import configure_from_env
from .transport.allowlist import Allowlist, ServiceAllowlist
from .transport.limiter import LocalRateLimiter, RateLimiter
from .transport.proxy import EgressProxy
from .transport.retry import RetryPolicy
from .transport.send import Transport

__all__ = ["Toolbelt", "make_limiter"]


def _config_error(message: str) -> ConfigurationError:
    return ConfigurationError("Toolbelt", ErrorCodes.CONFIG_INVALID, message)


def make_limiter(rate: float, backend: str = "local", **options: object) -> RateLimiter:
    """The limiter a config asks for.

    ``backend="local"``: in-process pacing (the default; options are ignored). ``backend="redis"``: the cap shared
    through Redis by every process of the account (extra ``lp-toolbelt[redis]``); options ``redis_url`` (required),
    ``account`` and ``expected_workers`` (the fallback paces at ``rate / expected_workers`` while Redis is down).

    Example::

        limiter = make_limiter(20.0)
        shared = make_limiter(20.0, "redis", redis_url="redis://127.0.0.1:6379/0", account="123", expected_workers=8)
    """
    if backend == "local":
        return LocalRateLimiter(rate)
    if backend != "redis":
        raise ValueError(f"unknown rate limit backend {backend!r}")
    url = options.get("redis_url")
    if not isinstance(url, str) or not url:
        raise _config_error("rate_limit_backend='redis' needs redis_url (or LP_TOOLBELT_REDIS_URL)")
    account = options.get("account")
    workers = options.get("expected_workers", 1)
    if account is not None and not isinstance(account, str):
        raise ValueError("account must be a string")
    if not isinstance(workers, int):
        raise ValueError("expected_workers must be an int")
    try:
        return make_redis_limiter(rate, url=url, account=account, expected_workers=workers)
    except ImportError as err:
        raise _config_error(
            "rate_limit_backend='redis' needs the redis extra: pip install 'lp-toolbelt[redis]'"
        ) from err
    except ValueError as err:  # a malformed URL (the message never repeats it: it may hold a password)
        raise _config_error("redis_url is not a valid Redis URL") from err


def _settings(path: Path) -> SettingsFile:
    """The configured secrets file, which must exist and be readable (a ConfigurationError naming it otherwise)."""
    if not path.is_file():
        raise _config_error(f"the secrets file {str(path)!r} does not exist (secrets_file / LP_TOOLBELT_SECRETS_FILE)")
    if not os.access(path, os.R_OK):
        raise _config_error(f"the secrets file {str(path)!r} cannot be read")
    return SettingsFile(path)


class Toolbelt:
    """The entry point: ``async with Toolbelt() as tb:`` then ``tb.lp_client()``, ``tb.secret_client()``, ...

    Args:
        config: the configuration; ``None`` reads it from the environment (``ToolbeltConfig.from_env()``).
        session: an ``aiohttp.ClientSession`` to borrow (it is not closed on exit); ``None`` creates one.
        limiter: a rate limiter to use instead of the one the config selects.
        secret_store: a secret store to use instead of the one the config selects (e.g. an emulator's secrets).

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
        secret_store: SecretStore | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config = config if config is not None else ToolbeltConfig.from_env()
        cfg = self.config
        configure_from_env()  # LP_TOOLBELT_OTEL=console: print spans and metrics (local dev loop)
        settings = _settings(cfg.secrets_file) if cfg.secrets_file is not None else None
        whitelist: list[str] = []
        if settings is not None:
            try:
                whitelist = settings.whitelist()
            except SettingsFormatError as err:
                raise _config_error(str(err)) from err
            except OSError as err:
                raise _config_error(f"the secrets file {str(cfg.secrets_file)!r} cannot be read") from err
        store: SecretStore
        if secret_store is not None:
            store = secret_store
        elif cfg.secrets is not None:
            store = InMemorySecretStore(cfg.secrets)
        elif cfg.secrets_file is not None:
            store = SettingsFileSecretStore(cfg.secrets_file)
        else:
            store = InMemorySecretStore({})
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
        try:
            proxy = EgressProxy.from_env(os.environ if cfg.trust_env else {}, cfg.proxy)
        except ValueError as err:
            raise _config_error("the egress proxy (proxy / HTTPS_PROXY / HTTP_PROXY) is not an http(s) URL") from err
        # rate_limit_backend="redis": CSDS domains and OAuth2 tokens are shared through Redis too (lp_toolbelt.redis).
        self.shared_cache = make_shared_cache(cfg)
        self.csds_cache: SingleFlightCache[str, dict[str, str]] = shared_csds_cache(self.shared_cache, cfg, clock)
        self.secret_cache: SingleFlightCache[str, Any] = SingleFlightCache(clock)
        self.token_cache: SingleFlightCache[tuple[str, str], str] = shared_token_cache(self.shared_cache, cfg, clock)
        # The proxy's allowlist: LivePerson's default by CSDS service (for the account), the whitelist, allowlist=.
        static = Allowlist((*cfg.allowlist, *whitelist, cfg.csds_domain))
        if cfg.account_id:
            self.allowlist = ServiceAllowlist(
                static,
                C.ALLOWLIST_SERVICES | C.INFRA_SERVICES,
                peek=lambda: self._csds.peek(),
                fetch=lambda: self._csds.domains(),
                enforced=cfg.enforce_allowlist,
            )
        else:  # no account: CSDS cannot be asked; the static stand-in applies
            self.allowlist = ServiceAllowlist(
                Allowlist((*C.DEFAULT_ALLOWLIST, *static.entries)), enforced=cfg.enforce_allowlist
            )
        self.transport = Transport(
            allowlist=self.allowlist,
            limiter=self.limiter,
            retry=RetryPolicy(cfg.max_retries, cfg.retry_backoff_base, cfg.retry_backoff_cap),
            timeout=cfg.timeout,
            session=session,
            user_agent=f"LP-Lambda-{cfg.function_uuid}" if cfg.function_uuid else None,
            proxy=proxy,
            clock=clock,
            sleep=sleep,
            rand=rand,
            trace_propagation=Allowlist(cfg.trace_propagation_hosts) if cfg.trace_propagation_hosts else None,
        )
        self._csds = CsdsClient(self.transport, cfg, self.csds_cache)
        self._secrets = SecretClient(store, self.secret_cache)
        self.app_keys = AppKeys(self.transport, cfg, self._csds, self._secrets, self.token_cache)

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def __aenter__(self) -> Toolbelt:
        _ = self.transport.session  # create it inside the running loop
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close what this Toolbelt owns (the session unless borrowed). Idempotent."""
        for cache in (self.csds_cache, self.secret_cache, self.token_cache):
            await cache.aclose()
        await self.transport.aclose()
        if self.shared_cache is not None:
            await self.shared_cache.aclose()

    @property
    def secret_store(self) -> SecretStore:
        """Where secrets are read and updated (replacing it forgets every cached secret)."""
        return self._secrets.store

    @secret_store.setter
    def secret_store(self, store: SecretStore) -> None:
        self._secrets.store = store
        self.secret_cache.invalidate()

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
        return self._csds

    def secret_client(self) -> SecretClient:
        """Secret storage (5 min read cache, shared)."""
        return self._secrets

    def lp_client(self) -> LpClient:
        """Authenticated LivePerson API calls (CSDS + OAuth 2.0 app installation, or a legacy OAuth 1.0 API key)."""
        return LpClient(self.transport, self.config, self._csds, self.app_keys)

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
        return utils.GDPRUtil(self.transport, self.config, self._csds, concurrency=concurrency)

    def context_service_client(self, api_key: str) -> clients.ContextServiceClient:
        """The Context Session Store of the configured account, authorized with ``api_key`` (``maven-api-key``).

        The host is ``config.context_domain`` when set (``CONTEXT_SERVICE_ENVIRONMENT`` sets it), else CSDS
        ``mavenContext``. Context hosts are not on the proxy's default allowlist: whitelist the one you use.

        Example::

            ctx = tb.context_service_client(api_key)
            await ctx.set_properties_in_namespace("orders", {"step": 2}, session_id="conv-1")
        """
        return clients.ContextServiceClient(self.transport, self.config, self._csds, api_key)

    def sf_client(self) -> clients.SalesforceClient:
        """Salesforce REST connections on this Toolbelt's session and rate limiter.

        Example::

            con = tb.sf_client().connect_to_salesforce(login_url=login_url, access_token=token)
            result = await con.query("SELECT Id, Name FROM Account LIMIT 10")
        """
        return clients.SalesforceClient(self.transport)

    # -- Functions V2 ------------------------------------------------------------------------------------------
    def orchestrator_client(self, *, app_key_secret_name: str | None = None) -> clients.OrchestratorClient:
        """Invoke other functions of the account (CSDS ``faasGW``), with a Sentinel token of the app key:
        ``app_key_secret_name``, else ``LIVEPERSON_DEFAULT_APP_KEY``, else ``lp-faas-orchestrator-app-key``.

        Example::

            results = await tb.orchestrator_client().invoke([Invocation(uuid=fn_uuid, payload={"a": 1})])
        """
        return clients.OrchestratorClient(
            self.transport, self.config, self._csds, self.app_keys, app_key_secret_name=app_key_secret_name
        )

    def mtls_client(
        self,
        *,
        cert: clients.PemSource,
        key: clients.PemSource,
        ca: clients.PemSource | None = None,
        password: str | bytes | None = None,
    ) -> clients.MtlsClient:
        """The HTTP client's API with your own client certificate: ``cert`` and ``key`` (and ``ca``, the server's
        CA) as PEM text, bytes or paths, loaded once into one SSL context; ``mtls.invalid-key`` /
        ``mtls.invalid-cert`` here, before any I/O.

        Example::

            partner = tb.mtls_client(cert=cert_pem, key=key_pem, ca=partner_ca_pem)
            resp = await partner.get("https://api.partner.example/status")
        """
        from .clients.mtls import client_ssl_context  # the ssl machinery loads with the first mTLS client

        return clients.MtlsClient(self.transport, client_ssl_context(cert, key, ca, password=password))

    def lp_mtls_client(self, *, app_key_secret_name: str | None = None) -> clients.LpMtlsClient:
        """Calls through LivePerson's mTLS gateway (CSDS ``mtlsGateway``) with the certificate LivePerson holds for
        the target; a Sentinel token of ``app_key_secret_name``, else ``LIVEPERSON_DEFAULT_APP_KEY``.

        Example::

            resp = await tb.lp_mtls_client().post("https://api.partner.example/orders", json={"id": 42})
        """
        return clients.LpMtlsClient(
            self.transport, self.config, self._csds, self.app_keys, app_key_secret_name=app_key_secret_name
        )

    def __repr__(self) -> str:
        return f"Toolbelt(account_id={self.config.account_id!r}, csds={self.config.csds_domain!r})"
