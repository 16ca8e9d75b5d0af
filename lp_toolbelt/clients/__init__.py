"""One thin client per LivePerson capability; all of them send through the Toolbelt's shared transport.

The names below are imported on first use (``Toolbelt.sf_client()`` loads the Salesforce client, a handler that
never calls it does not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .context import ContextServiceClient
    from .csds import CsdsClient
    from .http import HttpClient
    from .lp import LpClient
    from .lp_mtls import LpMtlsClient
    from .mtls import MtlsClient, PemSource
    from .orchestrator import OrchestratorClient
    from .salesforce import SalesforceClient
    from .secrets import SecretClient

_EXPORTS: dict[str, str] = {
    "ContextServiceClient": ".context",
    "CsdsClient": ".csds",
    "HttpClient": ".http",
    "LpClient": ".lp",
    "LpMtlsClient": ".lp_mtls",
    "MtlsClient": ".mtls",
    "OrchestratorClient": ".orchestrator",
    "PemSource": ".mtls",
    "SalesforceClient": ".salesforce",
    "SecretClient": ".secrets",
}

__all__ = [
    "ContextServiceClient",
    "CsdsClient",
    "HttpClient",
    "LpClient",
    "LpMtlsClient",
    "MtlsClient",
    "OrchestratorClient",
    "PemSource",
    "SalesforceClient",
    "SecretClient",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
