"""The emulator application and its server: ``build_app(state)`` and ``Emulator``.

The application is the FaaS proxy middleware (allowlist, rate cap, faults, request log) in front of one route
module per LivePerson API; each module in :data:`ROUTE_MODULES` exposes ``setup(app, state)``. ``Emulator``
serves that application on a loopback port and hands out a ``ToolbeltConfig`` pointing at it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, Self

from aiohttp import web
from yarl import URL

from ..config import ToolbeltConfig
from ..toolbelt import Toolbelt
from .routes import context, csds, faas, lp_api, msghist, mtls_gateway, proxy, salesforce, sentinel, smt, swift
from .secrets import EmulatorSecretStore
from .seed import DEFAULT_ACCOUNT_ID, DEFAULT_RATE_LIMIT
from .state import STATE_KEY, EmulatorState
from .v2 import FunctionHandler

__all__ = ["EMULATOR_URL", "ROUTE_MODULES", "Emulator", "build_app", "resolve_emulator_url"]

RouteSetup = Callable[[web.Application, EmulatorState], None]

ROUTE_MODULES: Final[tuple[RouteSetup, ...]] = (
    csds.setup,
    sentinel.setup,
    lp_api.setup,
    msghist.setup,
    smt.setup,
    swift.setup,
    context.setup,
    salesforce.setup,
    faas.setup,
    mtls_gateway.setup,
)
"""The ``setup(app, state)`` of every route module, in registration order."""

UNCAPPED_CLIENT_RATE: Final = 1000.0  # the rate_limit emu.config() gives when the emulator has no cap
EMULATOR_URL: Final = "${EMULATOR_URL}"
"""In a seed's secret values, stands for the emulator's own base URL (``http://127.0.0.1:PORT``), known only once it
serves: the demo seed's ``salesforce-credentials`` has ``"loginUrl": "${EMULATOR_URL}"``."""


def resolve_emulator_url(value: Any, base_url: str) -> Any:
    """``value`` with :data:`EMULATOR_URL` replaced by ``base_url`` in every string it holds (pure)."""
    if isinstance(value, str):
        return value.replace(EMULATOR_URL, base_url)
    if isinstance(value, dict):
        return {key: resolve_emulator_url(item, base_url) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_emulator_url(item, base_url) for item in value]
    return value


def build_app(state: EmulatorState) -> web.Application:
    """The aiohttp application emulating LivePerson over ``state`` (the proxy middleware + every route)."""
    app = web.Application(middlewares=[proxy.proxy_middleware(state)])
    app[STATE_KEY] = state
    for setup in ROUTE_MODULES:
        setup(app, state)
    return app


def _display_host(bind_host: str) -> str:
    if bind_host in ("", "0.0.0.0"):  # noqa: S104 - mapping a wildcard bind to a connectable address
        return "127.0.0.1"
    if bind_host == "::":
        return "[::1]"
    if ":" in bind_host and not bind_host.startswith("["):
        return f"[{bind_host}]"
    return bind_host


class Emulator:
    """A local LivePerson (CSDS, Sentinel, LP APIs behind the FaaS proxy) on a loopback port.

    Example::

        async with Emulator() as emu:
            async with Toolbelt(emu.config()) as tb:
                ...
            assert emu.state.count("csds") == 1

    ``settings`` is a settings.json path or mapping (None: the packaged demo seed). ``port=0`` picks a free
    port. ``rate_limit`` is the proxy's cap in requests per second (None: no cap).
    """

    def __init__(
        self,
        settings: Path | str | Mapping[str, Any] | None = None,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: float | None = DEFAULT_RATE_LIMIT,
        shutdown_timeout: float = 1.0,
    ) -> None:
        self.state = EmulatorState.from_settings(settings, account_id=account_id, rate_limit=rate_limit)
        self.bind_host = host
        self._requested_port = port
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ---- addresses
    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._runner is not None

    @property
    def port(self) -> int:
        """The port the emulator listens on (only known once started)."""
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def host(self) -> str:
        """``"127.0.0.1:PORT"``: the CSDS domain and the host every service points at."""
        return f"{_display_host(self.bind_host)}:{self.port}"

    @property
    def own_hosts(self) -> tuple[str, ...]:
        """Every ``host:port`` that reaches this emulator: :attr:`host`, and ``localhost:PORT`` when it listens on
        a loopback or wildcard address (what a secret pointing at the emulator, e.g. a Salesforce ``loginUrl``, may
        name; ``lp_toolbelt.local`` and ``lp-toolbelt emulator`` allow them all)."""
        hosts = [self.host]
        if self.bind_host in ("127.0.0.1", "localhost", "", "0.0.0.0", "::", "::1"):  # noqa: S104 - a comparison
            hosts.append(f"localhost:{self.port}")
        return tuple(hosts)

    @property
    def base_url(self) -> URL:
        """``http://127.0.0.1:PORT``."""
        return URL(f"http://{self.host}")

    @property
    def salesforce_login_url(self) -> URL:
        """``http://localhost:PORT``: the emulated Salesforce's login URL. It serves the token endpoint only; API
        calls go to the ``instance_url`` a refresh answers (``base_url``). Like a live login host it is not on
        the default allowlist: the whitelist must name it (the demo seed whitelists ``localhost``)."""
        unlisted = self.state.unlisted_host
        if unlisted is None or self._port is None:
            raise RuntimeError("the emulator is not started")
        return URL(f"http://{unlisted}")

    @property
    def functions(self) -> dict[str, FunctionHandler]:
        """The functions this emulator hosts, by uuid (``state.functions``): ``emu.functions[uuid] = handler``, an
        ``async def handler(toolbelt, payload)``; the Orchestrator invokes them through the ``faasGW`` route."""
        return self.state.functions

    def function_toolbelt(self) -> Toolbelt:
        """A Toolbelt for one invocation of a hosted function: pointed at this emulator, sharing its secrets (what
        ``lp-toolbelt invoke --local`` and the pytest plugin give a handler)."""
        return self.toolbelt()

    def toolbelt(self, **overrides: Any) -> Toolbelt:
        """A Toolbelt pointed at this (started) emulator whose secrets are the emulator's own
        (:class:`~lp_toolbelt.emulator.secrets.EmulatorSecretStore`; ``secrets=`` keeps an in-memory copy instead).

        Its allowlist is the seed's whitelist plus every name of the emulator itself (``127.0.0.1:PORT``,
        ``localhost:PORT``), so a secret pointing at it — the demo seed's Salesforce ``loginUrl`` — is let through.
        ``overrides`` are ``ToolbeltConfig`` fields.

        Example::

            async with Emulator() as emu, emu.toolbelt() as tb:
                entry = await tb.secret_client().read_secret("demo-secret")
        """
        if "allowlist" not in overrides:
            overrides["allowlist"] = (*self.config(secrets={}).allowlist, *self.own_hosts)
        store = EmulatorSecretStore(self.state) if "secrets" not in overrides else None
        return Toolbelt(self.config(**overrides), secret_store=store)

    # ---- lifecycle
    async def start(self) -> None:
        """Serve on ``host:port``, point every CSDS service at the emulator and resolve :data:`EMULATOR_URL` in the
        seeded secrets."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        previous = self.state.host
        runner = web.AppRunner(
            build_app(self.state),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=self._shutdown_timeout,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.bind_host, self._requested_port)
            await site.start()
            self._port = int(runner.addresses[0][1])
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.state.host = self.host
        for key, value in self.state.secrets.items():
            self.state.secrets[key] = resolve_emulator_url(value, str(self.base_url))
        self.state.point_services_at(self.state.host, previous)
        self.state.bucket.reset()
        if self.state.function_toolbelt is None:
            self.state.function_toolbelt = self.function_toolbelt

    async def stop(self) -> None:
        """Stop serving (in-flight requests get ``shutdown_timeout`` seconds). Safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- clients
    def config(self, **overrides: Any) -> ToolbeltConfig:
        """A ``ToolbeltConfig`` for this emulator: its account, CSDS at ``self.host`` over http, the seed's
        whitelist (the default allowlist comes from CSDS, as live), its rate cap (1000/s when uncapped) and a deep
        copy of the seeded secrets. Keyword arguments override any field."""
        rate = self.state.rate_limit if self.state.rate_limit is not None else UNCAPPED_CLIENT_RATE
        values: dict[str, Any] = {
            "account_id": self.state.account_id,
            "csds_domain": self.host,
            "scheme": "http",
            "allowlist": tuple(self.state.whitelist),
            "rate_limit": rate,
            "secrets": copy.deepcopy(self.state.secrets),
            "secrets_file": None,
        }
        values.update(overrides)
        return ToolbeltConfig(**values)

    def __repr__(self) -> str:
        where = self.host if self._port is not None else "not started"
        return f"Emulator({where}, account_id={self.state.account_id!r})"
