"""The shared transport: allowlist → authorization → limiter → sender (aiohttp), with redirects and retries."""

from .allowlist import Allowlist, ServiceAllowlist
from .auth import Authorizer, HeaderCredential, StaticAuthorizer, TokenAuthorizer
from .limiter import LocalRateLimiter, RateLimiter
from .request import Request, build_request
from .response import HttpResponse
from .retry import RetryPolicy
from .send import Transport
from .wire import NetworkFailure, Sender, WireResponse

__all__ = [
    "Allowlist",
    "Authorizer",
    "HeaderCredential",
    "HttpResponse",
    "LocalRateLimiter",
    "NetworkFailure",
    "RateLimiter",
    "Request",
    "RetryPolicy",
    "Sender",
    "ServiceAllowlist",
    "StaticAuthorizer",
    "TokenAuthorizer",
    "Transport",
    "WireResponse",
    "build_request",
]
