"""Pure: may a request to this URL leave through the FaaS proxy?

The decision is made on the *parsed* host (yarl), never on the URL text, so userinfo tricks
(``https://api.liveperson.net@evil.com/``), look-alike suffixes (``evilliveperson.net``), trailing dots and
mixed case cannot fool it. Entries are ``host`` (any port), ``host:port`` (that port only) or ``*.domain``
(any subdomain of ``domain``, not ``domain`` itself).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from yarl import URL

__all__ = ["Allowlist", "ServiceAllowlist", "normalize_host"]

_SCHEMES = frozenset({"http", "https"})


def normalize_host(host: str) -> str:
    """Lower-case, IDNA-encode and strip one trailing dot; ``''`` when the host cannot be normalized.

    Non-ASCII names are encoded as yarl (hence aiohttp) encodes them (IDNA 2008 / UTS 46), not with Python's
    IDNA 2003 codec: the two disagree on some names (``aßets`` is ``xn--aets-vna`` to the resolver, ``assets`` to
    IDNA 2003), and the decision must be about the host that is actually contacted.
    """
    host = host.strip().lower()
    if host.endswith("."):
        host = host[:-1]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or ".." in host:
        return ""
    if host.isascii():
        return host
    try:
        return (URL.build(scheme="http", host=host).raw_host or "").lower()
    except (ValueError, UnicodeError):
        return ""


@dataclass(frozen=True, slots=True)
class _Entry:
    host: str  # normalized host, or the domain of a wildcard
    port: int | None
    wildcard: bool


def _parse_entry(entry: str) -> _Entry | None:
    text = entry.strip()
    if not text:
        return None
    wildcard = text.startswith("*.")
    if wildcard:
        text = text[2:]
    port: int | None = None
    if text.startswith("["):  # [ipv6]:port
        end = text.find("]")
        host_part, rest = text[: end + 1], text[end + 1 :]
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    elif text.count(":") == 1:
        host_part, _, port_text = text.partition(":")
        if not port_text.isdigit():
            return None
        port = int(port_text)
    else:
        host_part = text
    host = normalize_host(host_part)
    if not host:
        return None
    return _Entry(host, port, wildcard)


class Allowlist:
    """A compiled allowlist. ``allows(url)`` is the whole decision; build once, query per request.

    Example::

        allow = Allowlist(["api.liveperson.net", "*.msghist.liveperson.net", "127.0.0.1:8080"])
        allow.allows(URL("https://va.msghist.liveperson.net/x"))   # True
        allow.allows(URL("https://api.liveperson.net@evil.com/"))  # False
    """

    __slots__ = ("_any_port", "_entries", "_port_specific", "_wildcards")

    def __init__(self, entries: Iterable[str]) -> None:
        parsed = [e for e in (_parse_entry(x) for x in entries) if e is not None]
        self._entries = tuple(parsed)
        self._any_port = frozenset(e.host for e in parsed if not e.wildcard and e.port is None)
        self._port_specific = frozenset((e.host, e.port) for e in parsed if not e.wildcard and e.port is not None)
        self._wildcards = tuple(("." + e.host, e.port) for e in parsed if e.wildcard)

    @property
    def entries(self) -> tuple[str, ...]:
        """The entries in normalized text form."""
        out = []
        for e in self._entries:
            text = ("*." if e.wildcard else "") + e.host
            out.append(f"{text}:{e.port}" if e.port is not None else text)
        return tuple(out)

    def allows(self, url: URL) -> bool:
        """True when ``url`` is absolute http(s) and its host (and port) match an entry."""
        # raw_host is the ASCII (punycode) name aiohttp resolves and connects to; never decide on the decoded form.
        if url.scheme not in _SCHEMES or not url.raw_host:
            return False
        host = normalize_host(url.raw_host)
        if not host:
            return False
        port = url.port
        if host in self._any_port or (host, port) in self._port_specific:
            return True
        for suffix, wport in self._wildcards:
            if host.endswith(suffix) and len(host) > len(suffix) and (wport is None or wport == port):
                return True
        return False


_Key = tuple[str, str | None, int | None]


class ServiceAllowlist:
    """The FaaS proxy's allowlist as LivePerson defines it: by CSDS service, not by host.

    A URL may leave when its host matches ``static`` (the account's ``whitelist``, ``ToolbeltConfig.allowlist`` and
    the CSDS host itself) or is the host CSDS returns, for the configured account, for one of ``services`` (the
    default services and the toolbelt's own infrastructure, ``_constants.ALLOWLIST_SERVICES`` and
    ``INFRA_SERVICES``). Any other host, including hosts of other CSDS services, is refused.

    ``peek()`` gives the account's cached CSDS map (``None`` when it is not cached) and ``fetch()`` fetches it
    through the shared CSDS cache (single-flight). Without them (no account id) only ``static`` applies.
    :meth:`allows` decides without I/O whenever it can; :meth:`resolve` fetches CSDS for the rest. Decisions are
    remembered per host for as long as the CSDS map they came from is the cached one. ``enforced=False`` lets
    every host through (for services that run behind no proxy).

    Example::

        policy = ServiceAllowlist(Allowlist(["api.liveperson.net"]), ALLOWLIST_SERVICES, peek=..., fetch=...)
        policy.allows(URL("https://va.msghist.liveperson.net/x"))      # None: CSDS is not cached yet
        await policy.resolve(URL("https://va.msghist.liveperson.net/x"))   # True
    """

    __slots__ = (
        "_dynamic",
        "_fetch",
        "_hosts",
        "_peek",
        "_reverse",
        "_services",
        "_static",
        "_static_decisions",
        "enforced",
    )

    def __init__(
        self,
        static: Allowlist,
        services: Iterable[str] = (),
        *,
        peek: Callable[[], Mapping[str, str] | None] | None = None,
        fetch: Callable[[], Awaitable[Mapping[str, str]]] | None = None,
        enforced: bool = True,
    ) -> None:
        self._static = static
        self._services = frozenset(services)
        self._peek = peek
        self._fetch = fetch
        self.enforced = enforced
        self._static_decisions: dict[_Key, bool] = {}
        self._hosts: Mapping[str, str] | None = None  # the CSDS map _dynamic was built from
        self._dynamic: tuple[Allowlist, dict[_Key, bool]] = (Allowlist(()), {})
        self._reverse: tuple[Mapping[str, str] | None, dict[str, str | None]] = (None, {})

    @property
    def static(self) -> Allowlist:
        """The host entries that apply without CSDS."""
        return self._static

    def allows(self, url: URL) -> bool | None:
        """True/False when decided without I/O; ``None`` when the account's CSDS map is needed (see :meth:`resolve`)."""
        if not self.enforced:
            return True
        key = (url.scheme, url.raw_host, url.port)
        allowed = self._static_decisions.get(key)
        if allowed is None:
            allowed = self._static.allows(url)
            if len(self._static_decisions) >= 1024:
                self._static_decisions.clear()
            self._static_decisions[key] = allowed
        if allowed or self._peek is None:
            return allowed
        hosts = self._peek()
        if hosts is None:
            return None
        return self._decide(url, key, hosts)

    async def resolve(self, url: URL) -> bool:
        """The decision, fetching the account's CSDS map if it is not cached (CSDS errors propagate)."""
        decided = self.allows(url)
        if decided is not None:
            return decided
        assert self._fetch is not None  # allows() answers None only when CSDS is wired
        hosts = await self._fetch()
        return self._static.allows(url) or self._decide(url, (url.scheme, url.raw_host, url.port), hosts)

    def service_at(self, url: URL) -> str | None:
        """The CSDS service whose host ``url`` is on, from the cached map (no I/O); ``None`` when no service or
        several share it (telemetry's ``lp.service`` for requests whose client did not say)."""
        hosts = self._peek() if self._peek is not None else None
        if hosts is None or not url.raw_host:
            return None
        seen, reverse = self._reverse
        if hosts is not seen:
            reverse = {}
            for service, host in hosts.items():
                name = host.lower()
                reverse[name] = None if name in reverse else service
            self._reverse = (hosts, reverse)
        host = url.raw_host.lower()
        found = reverse.get(f"{host}:{url.port}")
        return found if found is not None else reverse.get(host)

    def _decide(self, url: URL, key: _Key, hosts: Mapping[str, str]) -> bool:
        if hosts is not self._hosts:
            entries = [host for service, host in hosts.items() if service in self._services]
            self._hosts, self._dynamic = hosts, (Allowlist(entries), {})
        compiled, decisions = self._dynamic
        allowed = decisions.get(key)
        if allowed is None:
            if len(decisions) >= 1024:  # hosts a handler names itself: remembered, but not without bound
                decisions.clear()
            allowed = decisions[key] = compiled.allows(url)
        return allowed

    def __repr__(self) -> str:
        state = "" if self.enforced else ", enforced=False"
        return f"ServiceAllowlist(static={self._static.entries!r}, services={sorted(self._services)!r}{state})"
