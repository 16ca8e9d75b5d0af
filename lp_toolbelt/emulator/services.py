"""The CSDS services the emulator answers for, and LivePerson's proxy allowlist rule, which is defined by them.

LivePerson allowlists by **CSDS service**, not by a fixed list of domains: when an account is provisioned, the hosts
CSDS returns *for that account* for :data:`ALLOWLIST_SERVICES` are allowlisted; the toolbelt's own infrastructure
(the CSDS host itself and :data:`INFRA_SERVICES`) is never refused; the account's whitelist (settings.json
``whitelist``: ``host``, ``host:port`` or ``*.domain``) adds to that. Any other host, including the hosts of the
remaining CSDS services (``mavenContext``, the Context Session Store, and ``auditLog``), gets the proxy's 403.

The emulator makes the rule observable with one server: services on the default list point at its own address
(``127.0.0.1:PORT``), the others at :func:`unlisted_host` of it (``localhost:PORT``: the same server under another
Host name), which the proxy refuses unless the whitelist names it (the packaged demo seed whitelists ``localhost``,
the stand-in for the Context zone host a user whitelists live).

Example::

    services = {name: service_host(name, "127.0.0.1:8088") for name in SERVICE_NAMES}
    services["mavenContext"]                                    # 'localhost:8088'
    proxy_allowlist(services, "127.0.0.1:8088", ["*.example.org"]).allows(URL("http://localhost:8088/"))  # False
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from .. import _constants as C
from ..enums import LpServices
from ..transport.allowlist import Allowlist

__all__ = [
    "ALLOWLIST_SERVICES",
    "INFRA_SERVICES",
    "SERVICE_NAMES",
    "UNLISTED_HOSTNAME",
    "proxy_allowlist",
    "service_host",
    "unlisted_host",
]

# One definition for both sides: the client's allowlist and this proxy apply the same rule.
ALLOWLIST_SERVICES: Final[frozenset[str]] = C.ALLOWLIST_SERVICES
"""CSDS services whose hosts LivePerson allowlists by default ("Domain Whitelisting", "Provisioning")."""

INFRA_SERVICES: Final[frozenset[str]] = C.INFRA_SERVICES
"""The toolbelt's own infrastructure besides CSDS itself: OAuth 2 tokens and the LP mTLS gateway; never refused."""

UNLISTED_HOSTNAME: Final = "localhost"
"""The Host name, on the emulator's own port, of every service outside the default allowlist."""

# Every CSDS service the emulator answers for: the LpServices enum, the names the utilities use, the V2 services.
SERVICE_NAMES: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(
        [
            *(service.value for service in LpServices),
            "msgHist",
            "smt",
            "swift",
            "mavenContext",
            "sentinel",
            "faasGW",
            "mtlsGateway",
        ]
    )
)


def unlisted_host(host: str) -> str:
    """``host`` under the name ``localhost``, its port kept: ``127.0.0.1:8088`` → ``localhost:8088`` (pure).

    >>> unlisted_host("[::1]:8088"), unlisted_host("va.msghist.liveperson.net")
    ('localhost:8088', 'localhost')
    """
    _, colon, port = host.rpartition(":")
    if colon and port.isdigit() and not host.endswith("]"):
        return f"{UNLISTED_HOSTNAME}:{port}"
    return UNLISTED_HOSTNAME


def service_host(service: str, host: str) -> str:
    """Where the emulator points ``service`` when it serves on ``host``: ``host`` itself for a service on the
    default allowlist (or infrastructure), else :func:`unlisted_host` of it (pure)."""
    if service in ALLOWLIST_SERVICES or service in INFRA_SERVICES:
        return host
    return unlisted_host(host)


def proxy_allowlist(services: Mapping[str, str], csds_host: str | None, whitelist: Iterable[str]) -> Allowlist:
    """The proxy's allowlist (pure): the CSDS hosts of the default and infrastructure services, the CSDS host
    itself and the account's whitelist entries. ``services`` is the CSDS answer (service name → ``host[:port]``).

    A ``host:port`` entry allows that port only; a bare host (as live CSDS answers) allows it on any port.
    """
    entries = [host for name, host in services.items() if name in ALLOWLIST_SERVICES or name in INFRA_SERVICES]
    if csds_host:
        entries.append(csds_host)
    entries.extend(whitelist)
    return Allowlist(entries)
