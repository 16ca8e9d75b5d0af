"""Redis scale-out (extra ``lp-toolbelt[redis]``): every line of the library that talks to Redis lives here.

* :mod:`.limiter`: the account's rate cap shared by every process (GCRA in a Lua script), with an in-process
  fallback while Redis is unavailable;
* :mod:`.cache`: CSDS domains and OAuth 2 tokens fetched once across processes;
* :mod:`.connection`: the fail-fast client and the outage tracking both use.

This module imports none of them (nor ``redis``): the Toolbelt calls the functions below only when the config
selects ``rate_limit_backend="redis"``, so ``import lp_toolbelt`` never imports ``redis``.

Example::

    config = ToolbeltConfig(account_id="123", rate_limit_backend="redis", redis_url="redis://127.0.0.1:6379/0")
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._singleflight import SingleFlightCache
from ..config import ToolbeltConfig

if TYPE_CHECKING:
    from ..transport.limiter import RateLimiter
    from .cache import SharedCache

__all__ = ["make_redis_limiter", "make_shared_cache", "shared_csds_cache", "shared_token_cache"]


def make_redis_limiter(rate: float, *, url: str, account: str | None, expected_workers: int) -> RateLimiter:
    """The shared rate cap (imports ``redis``: ImportError without the extra; ValueError for a malformed URL)."""
    from .limiter import RedisRateLimiter

    return RedisRateLimiter(rate, url=url, account=account, expected_workers=expected_workers)


def make_shared_cache(config: ToolbeltConfig) -> SharedCache | None:
    """The Redis layer a config asks for: with ``rate_limit_backend="redis"`` and a ``redis_url``; else ``None``."""
    if config.rate_limit_backend != "redis" or not config.redis_url:
        return None
    from .cache import SharedCache

    return SharedCache(config.redis_url)


def _csds_value(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError("not a CSDS map")
    return value


def _token_value(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("not an authorization header")
    return value


def shared_csds_cache(
    shared: SharedCache | None, config: ToolbeltConfig, clock: Callable[[], float] = time.monotonic
) -> SingleFlightCache[str, dict[str, str]]:
    """The Toolbelt's CSDS cache: in-process only, or in front of Redis (keyed by account and CSDS host)."""
    if shared is None:
        return SingleFlightCache(clock)
    from .cache import SharedSingleFlightCache

    namespace = f"{config.account_id or '_'}:csds:{config.csds_domain}"
    return SharedSingleFlightCache(shared, namespace, decode=_csds_value, clock=clock)


def shared_token_cache(
    shared: SharedCache | None, config: ToolbeltConfig, clock: Callable[[], float] = time.monotonic
) -> SingleFlightCache[tuple[str, str], str]:
    """The Toolbelt's OAuth2 token cache: in-process only, or in front of Redis (keyed by account, CSDS host,
    secret name and client id)."""
    if shared is None:
        return SingleFlightCache(clock)
    from .cache import SharedSingleFlightCache

    namespace = f"{config.account_id or '_'}:token:{config.csds_domain}"
    return SharedSingleFlightCache(shared, namespace, decode=_token_value, clock=clock)
