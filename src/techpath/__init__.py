"""The Technician's Path toolkit: execute the code in Markdown and notebook posts, render it.

The public surface (docs/api.md) is what a site or a tool may rely on between releases:

- the MkDocs plugin `techpath` (entry point `techpath.mkdocs_plugin:TechpathPlugin`; its options
  are `PluginOptions`), also loaded by ProperDocs and built for Zensical by `techpath build`;
- the command line `techpath` (`techpath.cli:main`);
- the pytest plugin `techpath` (`techpath.pytest_plugin`): posts collected as test items;
- the environment variables documented on docs/use-on-your-site.md;
- the names in `__all__` below: run posts from Python with `Engine(Settings(...)).run(posts)`.

Every other module, and every name not listed here, is internal: it may change in any release.
Importing this package imports nothing else, so the CLI starts fast; the names below are loaded
on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# public name -> the internal module that defines it
_PUBLIC = {
    "Engine": "techpath.engine",
    "Settings": "techpath.engine",
    "PluginOptions": "techpath.options",
    "load_post": "techpath.parse",
    "load_checked_post": "techpath.parse.gate",
    "Post": "techpath.model",
    "PageResult": "techpath.model",
    "BlockResult": "techpath.model",
    "BlockError": "techpath.model",
    "Output": "techpath.model",
    "Problem": "techpath.model",
}

__all__ = [
    "BlockError",
    "BlockResult",
    "Engine",
    "Output",
    "PageResult",
    "PluginOptions",
    "Post",
    "Problem",
    "Settings",
    "__version__",
    "load_checked_post",
    "load_post",
]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'techpath' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value
