"""Contributor tools: scaffolding new posts and linting posts (no execution here)."""
