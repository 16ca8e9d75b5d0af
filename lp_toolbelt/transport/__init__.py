"""The shared transport: allowlist → limiter → middlewares (request id, signing) → aiohttp, with retries."""

from .allowlist import Allowlist
from .limiter import LocalRateLimiter, RateLimiter
from .response import HttpResponse
from .send import Request, Transport

__all__ = ["Allowlist", "HttpResponse", "LocalRateLimiter", "RateLimiter", "Request", "Transport"]
