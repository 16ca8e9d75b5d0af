"""Secret storage backends: in-memory (``ToolbeltConfig.secrets``) and the LivePerson CLI's settings.json."""

from .base import SecretStore
from .file import SettingsFile, SettingsFileSecretStore
from .memory import InMemorySecretStore

__all__ = ["InMemorySecretStore", "SecretStore", "SettingsFile", "SettingsFileSecretStore"]
