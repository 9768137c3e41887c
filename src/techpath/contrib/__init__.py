"""Contributor tools: scaffolding new posts (`techpath new`) and `techpath lint`'s file checks (no
execution here; a post's own checks are the input gate's, parse/gate.py)."""
