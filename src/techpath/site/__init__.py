"""Site-level rendering that does not execute code: math typesetting and static assets."""
