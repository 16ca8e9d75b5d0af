"""Small, independent fakes of LivePerson, written from the wire contract (``liveperson-surface.md``), not from the
library or its emulator (nothing here imports ``lp_toolbelt.emulator``).

* :class:`FakeServer` — one aiohttp.web server on ``127.0.0.1``, port 0, that serves many host names (routed by the
  ``Host`` header, as virtual hosts) and records every request it receives, raw query string included.
* :class:`LoopbackResolver` — an aiohttp resolver that sends real LivePerson host names (``va.sentinel.liveperson.net``)
  to a fake's port, and records what it was asked: a host refused "before any connection" is never even resolved.
* :class:`World` — one account's LivePerson: a realistic CSDS answer whose every host is served by one
  :class:`FakeServer`, with a Toolbelt built as a user builds one, on a borrowed session that uses the resolver.
* :class:`FakeProxy` — a forward proxy: absolute-form requests for http targets, CONNECT tunnels for https.
* :func:`self_signed` — a certificate for the https-through-CONNECT test (the ``openssl`` command).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import itertools
import json
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict, CIMultiDictProxy
from oauthlib.oauth1.rfc5849 import signature, utils
from yarl import URL

from lp_toolbelt import Toolbelt, ToolbeltConfig
from lp_toolbelt.transport.limiter import RateLimiter

# ------------------------------------------------------------------------------------------------ the account
ACCOUNT = "13350576"
CSDS_HOST = "api.liveperson.net"  # the default X_LIVEPERSON_CSDS_DOMAIN
FUNCTION_UUID = "3f2c7a1e-9b8d-4c6e-a5f0-1d2e3f4a5b6c"

# The services the FaaS proxy allowlists by default (liveperson-surface.md, "Environment a function runs in"),
# copied from the contract's text rather than from the library's constants.
DEFAULT_SERVICES = (
    "accountConfigReadOnly",
    "accountConfigReadWrite",
    "agentVep",
    "asyncMessaging",
    "asyncMessagingEnt",
    "engHistDomain",
    "leDataReporting",
    "msdkgw",
    "msgEwtAPI",
    "msgHist",
    "pusher",
    "rtbf",
    "smt",
    "swift",
    "faasGW",
)
INFRA_SERVICES = ("sentinel", "mtlsGateway")
# A realistic per-account CSDS map (data centre "va"): the default services, the toolbelt's infrastructure, and
# other services of the account that are *not* on the default allowlist.
SERVICES: dict[str, str] = {
    "accountConfigReadOnly": "va.ac.liveperson.net",
    "accountConfigReadWrite": "va.ac.liveperson.net",
    "agentVep": "va.agentvep.liveperson.net",
    "asyncMessaging": "va.msg.liveperson.net",
    "asyncMessagingEnt": "va.msg.liveperson.net",
    "engHistDomain": "va.enghist.liveperson.net",
    "leDataReporting": "va.data.liveperson.net",
    "msdkgw": "va.msdkgw.liveperson.net",
    "msgEwtAPI": "va.msg-ewt.liveperson.net",
    "msgHist": "va.msghist.liveperson.net",
    "pusher": "va.push.liveperson.net",
    "rtbf": "va.rtbf.liveperson.net",
    "smt": "va.v.liveperson.net",
    "swift": "va.objectstorage.liveperson.net",
    "faasGW": "va.faasgw.liveperson.net",
    "sentinel": "va.sentinel.liveperson.net",
    "mtlsGateway": "va.mtls-gw.liveperson.net",
    "auditLog": "va.auditlog.liveperson.net",
    "mavenContext": "va.context.liveperson.net",
    "liveEngageUI": "lo.le1.liveperson.net",
    "visitorFeed": "lo.v-feed.liveperson.net",
    "etool": "z2.etool.liveperson.net",
    "leCdnDomain": "lpcdn.lpsnmedia.net",
}
OTHER_SERVICES = tuple(s for s in SERVICES if s not in DEFAULT_SERVICES and s not in INFRA_SERVICES)

# App keys as the platform provisions them (secret values).
OAUTH2_APP_KEY = {"client_id": "app-client-id", "client_secret": "app-client-secret"}
OAUTH1_API_KEY = {"consumerKey": "ck-1", "consumerSecret": "cs-1", "token": "tok-1", "tokenSecret": "ts-1"}


# ------------------------------------------------------------------------------------------------ the server
@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    host: str  # the Host header's name, without the port
    path: str  # decoded
    raw_path: str  # as sent, percent-encoding kept, without the query
    query: str  # the raw query string, as sent (no decoding, no reordering)
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def url(self) -> str:
        """The URL the client addressed (``http://{Host}{path}?{query}``, the query as received)."""
        return f"http://{self.headers.get('Host', self.host)}{self.path}" + (f"?{self.query}" if self.query else "")

    def form(self) -> dict[str, str]:
        """The urlencoded body (one value per name)."""
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Seen], Awaitable[web.StreamResponse]]
PathSpec = str | re.Pattern[str]


@dataclass
class _Route:
    method: str
    path: PathSpec
    handler: Handler
    host: str | None

    def matches(self, seen: Seen) -> bool:
        if self.method not in ("*", seen.method) or (self.host is not None and self.host != seen.host):
            return False
        if isinstance(self.path, str):
            return self.path == seen.path
        return self.path.fullmatch(seen.path) is not None


def reply(
    status: int = 200, body: Any = None, *, text: str | None = None, headers: Mapping[str, str] | None = None
) -> Handler:
    """A handler answering ``status`` with a JSON ``body`` (or ``text``)."""

    async def handle(seen: Seen) -> web.StreamResponse:
        if text is not None:
            return web.Response(status=status, text=text, headers=headers)
        if body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    return handle


class FakeServer:
    """A loopback HTTP(S) server for many host names; ``route()`` per host, method and path; every request kept."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Seen] = []
        self._routes: list[_Route] = []
        self._tls = tls
        self._runner: web.AppRunner | None = None
        self.port = 0

    def route(self, method: str, path: PathSpec, handler: Handler, *, host: str | None = None) -> None:
        """Answer ``method path`` (exact, or a fullmatch pattern) on ``host`` (any host when None); last one wins."""
        self._routes.insert(0, _Route(method, path, handler, host))

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://{self.authority}"

    def seen(self, *, host: str | None = None, path: str | None = None, method: str | None = None) -> list[Seen]:
        """The requests received, filtered."""
        return [
            r
            for r in self.requests
            if (host is None or r.host == host)
            and (path is None or r.path == path)
            and (method is None or r.method == method)
        ]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = request.raw_path
        path, _, query = raw.partition("?")
        seen = Seen(
            method=request.method,
            host=(request.host or "").rsplit(":", 1)[0] if not (request.host or "").startswith("[") else request.host,
            path=request.path,
            raw_path=path,
            query=query,
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            body=await request.read(),
        )
        self.requests.append(seen)
        for route in self._routes:
            if route.matches(seen):
                return await route.handler(seen)
        return web.Response(status=404, text=f"fake: no route for {seen.method} {seen.host}{path}")

    async def __aenter__(self) -> FakeServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._tls)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class LoopbackResolver(AbstractResolver):
    """Resolves the given names to ``127.0.0.1`` and the port their fake listens on (whatever port the URL says);
    any other name fails as an unknown host would. ``asked`` lists every name it was asked for."""

    def __init__(self, names: Mapping[str, int]) -> None:
        self.names = dict(names)
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        target = self.names.get(host.lower().rstrip("."))
        if target is None:
            raise OSError(f"fake DNS: unknown host {host}")
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=target,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


# ------------------------------------------------------------------------------------------------ LivePerson pieces
def csds_handler(services: Mapping[str, str], account: str = ACCOUNT, *, delay: float = 0.0) -> Handler:
    """CSDS: ``{"baseURIs": [{"service", "account", "baseURI"}]}`` (bare hosts), only for ``?version=1.0``."""

    async def handle(seen: Seen) -> web.StreamResponse:
        if delay:
            await asyncio.sleep(delay)
        if dict(parse_qsl(seen.query)).get("version") != "1.0":
            return web.Response(status=400, text="version=1.0 is required")
        items = [{"service": s, "account": account, "baseURI": host} for s, host in services.items()]
        return web.json_response({"baseURIs": items})

    return handle


@dataclass
class Sentinel:
    """The OAuth 2.0 token endpoint: ``POST /sentinel/api/v2/account/{acc}/app/token?v=2.0`` with form
    ``client_id, client_secret, grant_type=client_credentials`` → ``{"access_token", "token_type", "expires_in"}``.
    ``expires_in`` is given as configured (``ABSENT_EXPIRY`` leaves the key out)."""

    clients: dict[str, str] = field(
        default_factory=lambda: {OAUTH2_APP_KEY["client_id"]: OAUTH2_APP_KEY["client_secret"]}
    )
    expires_in: Any = "3600"
    issued: list[str] = field(default_factory=list)  # tokens issued, in order
    refused: int = 0
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def handle(self, seen: Seen) -> web.StreamResponse:
        form = seen.form()
        query = dict(parse_qsl(seen.query))
        if (
            query.get("v") != "2.0"
            or form.get("grant_type") != "client_credentials"
            or self.clients.get(form.get("client_id", "")) != form.get("client_secret")
        ):
            self.refused += 1
            return web.json_response({"error": "invalid_client"}, status=401)
        token = f"at-{next(self._counter)}"
        self.issued.append(token)
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
        if self.expires_in is not ABSENT_EXPIRY:
            body["expires_in"] = self.expires_in
        return web.json_response(body)


ABSENT_EXPIRY = object()


def oauth1_valid(seen: Seen, consumer_secret: str, token_secret: str) -> bool:
    """Whether ``seen`` carries a valid OAuth 1.0a HMAC-SHA1 signature, checked as a server checks it (RFC 5849 with
    oauthlib's primitives): the base string over the method, the URL and the query *as received* (every repeated
    key) and the header's ``oauth_*`` parameters; a JSON body is not signed."""
    authorization = seen.headers.get("Authorization", "")
    if not authorization.startswith("OAuth "):
        return False
    headers = {"Authorization": authorization}
    received = dict(signature.collect_parameters(headers=headers, exclude_oauth_signature=False))
    params = signature.collect_parameters(uri_query=seen.query, headers=headers, exclude_oauth_signature=True)
    base = signature.signature_base_string(
        seen.method, signature.base_string_uri(seen.url), signature.normalize_parameters(params)
    )
    key = f"{utils.escape(consumer_secret)}&{utils.escape(token_secret)}".encode()
    expected = base64.b64encode(hmac.digest(key, base.encode(), "sha1")).decode()
    return hmac.compare_digest(expected, received.get("oauth_signature", ""))


def oauth1_api(consumer_secret: str, token_secret: str) -> Handler:
    """An API route that answers 200 to a validly signed request, 401 otherwise."""

    async def handle(seen: Seen) -> web.StreamResponse:
        if not oauth1_valid(seen, consumer_secret, token_secret):
            return web.json_response({"error": "invalid signature"}, status=401)
        return web.json_response({"ok": True})

    return handle


class World:
    """One account's LivePerson on loopback: CSDS at ``api.liveperson.net`` answering :data:`SERVICES`, Sentinel,
    and every other host of the map served (by Host name) by one :class:`FakeServer`. Reach it with
    :meth:`toolbelt`, a Toolbelt on a borrowed session whose resolver sends those names to the fake.

    Example::

        async with World() as world, world.toolbelt() as tb:
            await tb.http_client().get("http://va.msghist.liveperson.net/ping")
            assert world.server.seen(host="va.msghist.liveperson.net")
    """

    def __init__(
        self,
        services: Mapping[str, str] = SERVICES,
        *,
        extra_hosts: Sequence[str] = (),
        csds_delay: float = 0.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.services = dict(services)
        self.sentinel = Sentinel()
        self.server = FakeServer(tls=tls)
        self._extra_hosts = tuple(extra_hosts)
        self.server.route(
            "GET",
            f"/api/account/{ACCOUNT}/service/baseURI.json",
            csds_handler(self.services, delay=csds_delay),
            host=CSDS_HOST,
        )
        self.server.route(
            "POST",
            f"/sentinel/api/v2/account/{ACCOUNT}/app/token",
            self.sentinel.handle,
            host=self.services["sentinel"],
        )
        self.server.route("*", re.compile("/ping.*"), reply(200, {"pong": True}))
        self.resolver = LoopbackResolver({})

    @property
    def hosts(self) -> list[str]:
        return sorted({CSDS_HOST, *self.services.values(), *self._extra_hosts})

    def csds_requests(self) -> list[Seen]:
        return self.server.seen(host=CSDS_HOST, path=f"/api/account/{ACCOUNT}/service/baseURI.json")

    def route(self, method: str, path: PathSpec, handler: Handler, *, host: str | None = None) -> None:
        self.server.route(method, path, handler, host=host)

    async def __aenter__(self) -> World:
        await self.server.__aenter__()
        self.resolver.names.update(dict.fromkeys(self.hosts, self.server.port))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.__aexit__(*exc)

    def session(self, **kwargs: Any) -> aiohttp.ClientSession:
        """A user's own session, resolving the fake's names (``kwargs`` go to ``ClientSession``)."""
        ssl_context = kwargs.pop("ssl", True)
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=self.resolver, ssl=ssl_context), **kwargs)

    @contextlib.asynccontextmanager
    async def toolbelt(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] | None = None,
        limiter: RateLimiter | None = None,
        config: ToolbeltConfig | None = None,
        **fields: Any,
    ) -> AsyncIterator[Toolbelt]:
        """A Toolbelt on a borrowed session (``session``, else one resolving the fake's names) with ``config``, else
        one for the account over plain http (a fake has no certificate) updated with ``fields``; no proxy from the
        environment unless ``trust_env=True`` is passed."""
        values: dict[str, Any] = {
            "account_id": ACCOUNT,
            "scheme": "http",
            "secrets_file": None,
            "secrets": {"LIVEPERSON_DEFAULT_APP_KEY": OAUTH2_APP_KEY},
            "trust_env": False,
            "rate_limit": 10_000.0,  # the proxy's 20/s cap is not what these tests are about
        }
        values.update(fields)
        own = session is None
        borrowed = self.session() if session is None else session
        try:
            kwargs: dict[str, Any] = {"session": borrowed}
            if clock is not None:
                kwargs["clock"] = clock
            if limiter is not None:
                kwargs["limiter"] = limiter
            async with Toolbelt(config if config is not None else ToolbeltConfig(**values), **kwargs) as tb:
                yield tb
        finally:
            if own:
                await borrowed.close()


class FakeClock:
    """A monotonic clock a test moves by hand."""

    def __init__(self, now: float = 10_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------------------------------------ egress proxy
@dataclass(frozen=True)
class ProxySeen:
    method: str
    target: str  # absolute-form URL, or host:port for CONNECT
    headers: dict[str, str]


class FakeProxy:
    """A forward proxy on loopback, as the FaaS egress proxy is reached through ``HTTPS_PROXY`` / ``HTTP_PROXY``.

    An http request arrives in absolute form (``GET http://host/path HTTP/1.1``); it is forwarded (origin form, same
    Host header) to the loopback port ``upstream`` when set, else answered by the proxy itself with
    ``{"via": "fake-proxy", "target": <url>}``. ``CONNECT host:port`` opens a tunnel to ``upstream`` when set, else is
    refused with 403; the first CONNECTs are answered ``connect_statuses`` (e.g. the FaaS proxy's 429), one each.
    ``Proxy-Authorization`` must equal ``auth`` when that is set (else 407).
    """

    def __init__(self, *, upstream: int | None = None, auth: str | None = None) -> None:
        self.seen: list[ProxySeen] = []
        self.connections = 0
        self.upstream = upstream
        self.auth = auth
        self.connect_statuses: list[int] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            self.seen.append(ProxySeen(method, target, headers))
            if self.auth is not None and headers.get("proxy-authorization") != self.auth:
                writer.write(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                await writer.drain()
                return
            if method == "CONNECT":
                await self._tunnel(reader, writer)
                return
            length = int(headers.get("content-length", "0") or 0)
            request_body = await reader.readexactly(length) if length else b""
            if self.upstream is not None:
                await self._forward(lines, target, request_body, writer)
                return
            body = json.dumps({"via": "fake-proxy", "target": target}).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _forward(self, lines: list[str], target: str, body: bytes, writer: asyncio.StreamWriter) -> None:
        assert self.upstream is not None
        method = lines[0].split(" ", 1)[0]
        kept = [
            line for line in lines[1:] if line and not line.lower().startswith(("proxy-", "connection:", "keep-alive:"))
        ]
        head = "\r\n".join([f"{method} {URL(target).raw_path_qs} HTTP/1.1", *kept, "Connection: close", "", ""])
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        up_writer.write(head.encode("latin-1") + body)
        await up_writer.drain()
        answer = await up_reader.read()  # the upstream closes after one answer (Connection: close)
        up_writer.close()
        writer.write(answer)
        await writer.drain()

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.upstream is None or self.connect_statuses:
            status = self.connect_statuses.pop(0) if self.connect_statuses else 403
            head = f"HTTP/1.1 {status} Refused\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            writer.write(head.encode())
            await writer.drain()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while chunk := await src.read(65536):
                    dst.write(chunk)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


def self_signed(folder: Path, names: Sequence[str]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """``(server context, client context trusting it)`` for a certificate naming ``names`` (needs ``openssl``)."""
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    san = ",".join(f"DNS:{n}" for n in names)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            f"/CN={names[0]}",
            "-addext",
            f"subjectAltName={san}",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client
