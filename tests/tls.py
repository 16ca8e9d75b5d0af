"""Real TLS for the mTLS tests: the demo's partner API (``examples/_partner.py``: a trustme CA, a loopback aiohttp
server on 127.0.0.1 that requires a client certificate and answers who presented it), plus a client certificate of
another CA, which the server refuses."""

from __future__ import annotations

from dataclasses import dataclass, field

import trustme

from examples._partner import CLIENT_NAME, PartnerPki, echo_peer, partner_server

__all__ = ["CLIENT_NAME", "Pki", "echo_peer", "tls_server"]

tls_server = partner_server


@dataclass
class Pki(PartnerPki):
    """The partner's CA and certificates, and ``stranger``: a client certificate of a CA the server does not trust."""

    other_ca: trustme.CA = field(default_factory=trustme.CA)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.stranger = self.other_ca.issue_cert("stranger.example.org", common_name="stranger")
