"""Credentials and signing: OAuth 1.0a (API keys) and OAuth 2 client credentials (app installations)."""
