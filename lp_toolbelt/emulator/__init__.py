"""A local LivePerson: CSDS, Sentinel, LP APIs and the FaaS proxy, speaking the same wire contract.

It is the backbone of the integration tests and of ``make demo``::

    from lp_toolbelt.emulator import Emulator

    async with Emulator() as emu:                    # 127.0.0.1, a free port, the demo seed
        async with Toolbelt(emu.config()) as tb:
            skills = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY,
                                          f"/api/account/{emu.state.account_id}/configuration/le-users/skills")
        emu.state.count("skills")                    # the request log
        emu.state.faults.add("csds", "status", status=503)

From a shell: ``python -m lp_toolbelt.emulator --port 8088``.

Route names (for ``state.count``, ``state.arrival_times`` and ``state.faults``): ``csds``, ``sentinel``,
``skills``, ``echo``, ``faas`` (Functions V2: invoke a hosted function, ``emu.functions[uuid] = handler``),
``mtls-gateway`` (V2's mTLS gateway, certificates in ``state.mtls_certificates``) and those the other route modules
add.
"""

from __future__ import annotations

from .app import ROUTE_MODULES, Emulator, build_app
from .auth import verify_lp_auth
from .faults import FAULT_KINDS, Fault, FaultRegistry, fault_kind
from .seed import DEFAULT_ACCOUNT_ID, load_settings
from .services import ALLOWLIST_SERVICES, INFRA_SERVICES, SERVICE_NAMES
from .state import STATE_KEY, EmulatorState, RecordedRequest
from .v2 import FunctionInvocation, MtlsCertificate

__all__ = [
    "ALLOWLIST_SERVICES",
    "DEFAULT_ACCOUNT_ID",
    "FAULT_KINDS",
    "INFRA_SERVICES",
    "ROUTE_MODULES",
    "SERVICE_NAMES",
    "STATE_KEY",
    "Emulator",
    "EmulatorState",
    "Fault",
    "FaultRegistry",
    "FunctionInvocation",
    "MtlsCertificate",
    "RecordedRequest",
    "build_app",
    "fault_kind",
    "load_settings",
    "verify_lp_auth",
]
