"""What the emulator knows of Functions V2: the functions it hosts, their invocations, and the client certificates its
mTLS gateway presents (plain data, fields of :class:`~lp_toolbelt.emulator.state.EmulatorState`).

* ``state.functions[uuid] = handler`` — an ``async def handler(toolbelt, payload)`` (or a plain function) the
  ``faasGW`` route runs with a Toolbelt of its own, pointed at the same emulator (``routes/faas.py``);
  ``state.invocations`` logs what each invocation received.
* ``state.mtls_certificates[url_prefix] = MtlsCertificate(cert, key, ca)`` — the certificate LivePerson would hold for
  targets under ``url_prefix`` (the longest matching prefix wins); the ``mtlsGateway`` route presents it
  (``routes/mtls_gateway.py``).

Example::

    emu.state.functions["fn-1"] = my_handler
    emu.state.mtls_certificates["https://localhost:8443/"] = MtlsCertificate(cert_pem, key_pem, ca=ca_pem)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FunctionHandler", "FunctionInvocation", "MtlsCertificate", "certificate_for"]

FunctionHandler = Callable[[Any, Any], Any]
"""``handler(toolbelt, payload)``, async (or a plain function), as ``lp-toolbelt invoke`` runs it."""


@dataclass(frozen=True, slots=True)
class FunctionInvocation:
    """One invocation the ``faasGW`` route received: the function, its query (``v``, ``externalSystem``), and the
    body's ``timestamp``, ``payload`` and ``headers`` (``[{"key", "value"}]``)."""

    uuid: str
    external_system: str | None
    timestamp: int
    payload: Any
    headers: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MtlsCertificate:
    """A client certificate of the emulated mTLS gateway: PEM ``cert`` and ``key`` (text, bytes or paths, as
    ``mtls_client()`` takes them) and the ``ca`` to trust for the target (None: the system's). The key never
    appears in ``repr()``."""

    cert: Any = field(repr=False)
    key: Any = field(repr=False)
    ca: Any = field(default=None, repr=False)


def certificate_for(mappings: Mapping[str, MtlsCertificate], url: str) -> MtlsCertificate | None:
    """The certificate of the longest URL prefix in ``mappings`` that ``url`` starts with, or None (pure).

    >>> certificate_for({"https://a.example/": MtlsCertificate("c", "k")}, "https://a.example/x") is not None
    True
    """
    matches = [prefix for prefix in mappings if url.startswith(prefix)]
    return mappings[max(matches, key=len)] if matches else None
