"""Execution: one fresh process per page, forked from a warm parent (or spawned where fork is unsafe)."""
