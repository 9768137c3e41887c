"""ProperDocs hooks for a staged tree (listed under `hooks:` in the staged configuration).

Material's blog converts a post's whole Markdown again for every view that lists it (index,
archive, each category: 96 conversions for our 27 posts) and keeps only what comes before the
excerpt separator. The MkDocs plugin trims what it hands those views once the post's own page is
rendered (stage/finish.py, `excerpt_source`); ProperDocs runs no techpath plugin, so without
this hook it converted every output panel and highlighted every code block of every post again
per view: two thirds of its build of our site, all of it thrown away.

ProperDocs' messages about a page's links name the notebook, `x.ipynb`, not the staged page
`x.md` it became, as the MkDocs plugin's do: the stager lists the site's notebooks beside the
staged configuration (`NOTEBOOKS_FILE`).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from techpath.stage.finish import RegionMarkers, excerpt_separator, excerpt_source
from techpath.stage.notebook_links import NotebookNames

NOTEBOOKS_FILE = "techpath-notebooks.json"  # beside the staged configuration: the site's notebooks
_NOTEBOOK_NAMES = NotebookNames()

# The stager writes this first in a staged page's body (RegionMarkers.page): prose cannot come
# before it, so its key is the stager's own.
_PAGE_MARKER = re.compile(r"\s*<!-- techpath:page ([0-9a-f]+) \S+ -->")


def on_page_content(html: str, *, page: Any, config: Any, files: Any) -> str:
    """After the feed plugin (-75) read the post's Markdown, as the MkDocs plugin does (-80)."""
    separator = excerpt_separator(config)
    found = _PAGE_MARKER.match(page.markdown) if isinstance(page.markdown, str) else None
    if separator and found:
        page.markdown = excerpt_source(page.markdown, separator, RegionMarkers(found[1]))
    return html


on_page_content.mkdocs_priority = -80  # type: ignore[attr-defined]


def on_config(config: Any) -> Any:
    listed = Path(config.config_file_path).with_name(NOTEBOOKS_FILE)
    _NOTEBOOK_NAMES.notebooks = frozenset(json.loads(listed.read_text()) if listed.exists() else ())
    pages_log = logging.getLogger("properdocs.structure.pages")  # where it reports a page's links
    if _NOTEBOOK_NAMES not in pages_log.filters:
        pages_log.addFilter(_NOTEBOOK_NAMES)
    return config
