from .rfc5849 import Client as Client

__all__ = ["Client"]
