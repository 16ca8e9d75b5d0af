"""The egress proxy (pure): which proxy, if any, a request to a URL leaves through.

LivePerson's V1 Node toolbelt sent every request through the FaaS egress proxy named by ``HTTPS_PROXY``; a Toolbelt
does the same for the sessions it creates. The rule, as curl and Python's ``urllib`` apply it:

* ``ToolbeltConfig.proxy`` when set, else ``HTTPS_PROXY`` for https URLs and ``HTTP_PROXY`` for http URLs (the
  lower-case names win when both are set);
* no proxy for a host that ``NO_PROXY`` names: ``*`` (every host), ``host``, ``host:port``, or a domain
  (``example.com`` and ``.example.com`` both match ``example.com`` and its subdomains).

The allowlist is still checked on the target host, before any connection. A proxy URL may carry credentials: they
never appear in ``repr()``.

Example::

    proxy = EgressProxy.from_env({"HTTPS_PROXY": "http://proxy.internal:3128", "NO_PROXY": "localhost"})
    proxy.for_url(URL("https://va.msghist.liveperson.net/x"))      # URL('http://proxy.internal:3128')
    proxy.for_url(URL("http://localhost:8080/x"))                 # None
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from yarl import URL

__all__ = ["EgressProxy"]


def _env(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name.lower()) or env.get(name.upper())
    return value.strip() or None if value else None


@dataclass(frozen=True, slots=True)
class EgressProxy:
    """Proxy URLs per scheme and the ``NO_PROXY`` exceptions. Build with :meth:`from_env`."""

    https: URL | None = field(default=None, repr=False)
    http: URL | None = field(default=None, repr=False)
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str], explicit: str | None = None) -> EgressProxy | None:
        """The egress proxy for an environment (and an explicit ``proxy`` setting); ``None`` when there is none.

        Raises ValueError for a proxy URL that is not an absolute http(s) URL.
        """
        https = explicit or _env(env, "HTTPS_PROXY")
        http = explicit or _env(env, "HTTP_PROXY")
        if https is None and http is None:
            return None
        no_proxy = tuple(p.strip().lower() for p in (_env(env, "NO_PROXY") or "").split(",") if p.strip())
        return cls(_proxy_url(https), _proxy_url(http), no_proxy)

    def for_url(self, url: URL) -> URL | None:
        """The proxy for a request to ``url``, or ``None`` to connect directly."""
        proxy = self.https if url.scheme == "https" else self.http
        if proxy is None or self.bypassed(url):
            return None
        return proxy

    def bypassed(self, url: URL) -> bool:
        """Whether ``NO_PROXY`` names the host of ``url``."""
        host = (url.raw_host or "").lower().rstrip(".")
        for entry in self.no_proxy:
            if entry == "*":
                return True
            name, _, port = entry.partition(":") if entry.count(":") == 1 else (entry, "", "")
            if port and port != str(url.port):
                continue
            name = name.lstrip(".").strip("[]")
            if host == name or host.endswith("." + name):
                return True
        return False

    def __repr__(self) -> str:
        where = sorted({f"{u.host}:{u.port}" for u in (self.https, self.http) if u is not None})
        return f"EgressProxy({', '.join(where)}, no_proxy={self.no_proxy!r})"


def _proxy_url(value: str | None) -> URL | None:
    if value is None:
        return None
    url = URL(value if "://" in value else f"http://{value}")
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("the proxy must be an http(s) URL")
    return url
