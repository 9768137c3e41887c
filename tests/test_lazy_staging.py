"""Pages staged before their results (stage/stager.py, `resolve`) must read exactly like pages
staged after them: `_TECHPATH_STAGE_EARLY=0` makes every page wait for its result, as the plugin did
before, and both builds are compared element by element."""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from techpath import environment
from tests.conftest import ROOT, build_log, run_mkdocs_build

pytestmark = pytest.mark.slow


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Dom(HTMLParser):
    """Tags with their attributes (sorted), and text with its whitespace collapsed: what a reader
    and a browser get. Comments and the whitespace between tags are not compared, nor the
    `data-search-*` attributes: they are read only for the search index (compared on its own),
    and Material's search plugin strips them from the page where they have a value (it leaves
    them on HTML that was not through Markdown, such as output panels)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # a boolean attribute reads the same bare or as open="open" (how md_in_html writes it)
        kept = sorted((k, "" if v in (None, k) else v) for k, v in attrs if not k.startswith("data-search-"))
        self.items.append(f"<{tag} {kept}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)  # <img ... /> reads as <img ...>
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID:
            self.items.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            self.items.append(text)


def dom(page: Path) -> list[str]:
    parser = _Dom()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.items


def assert_same_site(staged_early: Path, staged_late: Path) -> None:
    files = {p.relative_to(staged_early) for p in staged_early.rglob("*") if p.is_file()}
    late = {p.relative_to(staged_late) for p in staged_late.rglob("*") if p.is_file()}
    assert files == late, f"only early: {sorted(files - late)[:5]}; only late: {sorted(late - files)[:5]}"
    pages = sorted(p for p in files if p.suffix == ".html")
    assert pages
    for page in pages:
        early, later = dom(staged_early / page), dom(staged_late / page)
        if early != later:
            first = next(i for i, (a, b) in enumerate(zip(early, later, strict=False)) if a != b)
            shown = f"{early[first : first + 3]} != {later[first : first + 3]}"
            raise AssertionError(f"{page} differs at item {first}: {shown}")
    for page in pages:  # nothing of the staging is left in either
        assert "techpath:lazy" not in (staged_early / page).read_text(encoding="utf-8"), page
    index = Path("search/search_index.json")
    if index in files:
        assert json.loads((staged_early / index).read_text()) == json.loads((staged_late / index).read_text())


def staged_before_results(log: str) -> int:
    found = re.search(r"(\d+) staged before their results", log)
    return int(found[1]) if found else 0


@pytest.mark.own_build  # builds our site a second time, every page waiting for its result
def test_our_site_reads_the_same_staged_before_its_results(built_site: Path, tmp_path: Path) -> None:
    if os.environ.get("TECHPATH_TEST_SITE"):
        pytest.skip("compares against the build log of the shared build, which a site built elsewhere lacks")
    # every post but the six whose prose shows `{python}` values, and the execution report
    assert staged_before_results(build_log(built_site).read_text()) >= 20
    os.environ[environment.STAGE_EARLY.name] = "0"
    try:
        late = run_mkdocs_build(tmp_path / "site")
    finally:
        del os.environ[environment.STAGE_EARLY.name]
    assert late.returncode == 0, late.stderr
    assert staged_before_results(late.stderr) == 0
    assert_same_site(built_site, tmp_path / "site")


FAILING = """\
---
title: Failing
date: 2026-01-02
authors: [team]
categories: [Samples]
slug: failing
---

Output before the excerpt ends:

```python
print("shown in the excerpt too")
```

<!-- more -->

```python
import numpy as np

values = np.arange(4)
squares = None
```

!!! exercise "Square them"

    Put the squares of `values` into `squares`.

    ```python starter
    squares = values
    ```

    ```python check
    assert list(squares) == [v * v for v in values], "every number should be squared"
    ```

    ```python solution
    squares = values + values
    ```

A hidden block that fails is shown:

```python hide
raise ValueError("the hidden setup broke")
```
"""

INLINE = """\
---
title: Inline
date: 2026-01-03
authors: [team]
categories: [Samples]
slug: inline
---

Four squared is `{python} 4 ** 2`.

<!-- more -->

```python
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([1, 2, 3])
plt.show()
```
"""


def test_failures_and_excerpts_read_the_same_staged_before_results(tmp_path: Path) -> None:
    site = tmp_path / "fixture"
    shutil.copytree(ROOT / "tests" / "exercise_site", site)
    config = site / "mkdocs.yml"
    config.write_text(
        config.read_text().replace("../../node_modules/katex", str(ROOT / "node_modules" / "katex"))
    )
    (site / "docs/blog/posts/failing.md").write_text(FAILING)
    (site / "docs/blog/posts/inline.md").write_text(INLINE)

    early = run_mkdocs_build(tmp_path / "early", config, strict=False)
    assert early.returncode == 0, early.stderr
    # the three posts without `{python}` values were staged before their results
    assert staged_before_results(early.stderr) == 3, early.stderr
    os.environ[environment.STAGE_EARLY.name] = "0"
    try:
        late = run_mkdocs_build(tmp_path / "late", config, strict=False)
    finally:
        del os.environ[environment.STAGE_EARLY.name]
    assert late.returncode == 0, late.stderr
    assert_same_site(tmp_path / "early", tmp_path / "late")

    failing = (tmp_path / "early/blog/failing/index.html").read_text(encoding="utf-8")
    assert '<details class="success techpath-solution" open' in failing  # an error is never hidden
    assert "the hidden setup broke" in failing
    assert "every number should be squared" in failing
    index = (tmp_path / "early/blog/index.html").read_text(encoding="utf-8")
    assert "shown in the excerpt too" in index
    figure = re.search(r'<img src="([^"]+)"', (tmp_path / "early/blog/inline/index.html").read_text())
    assert figure is not None and (tmp_path / "early/blog/inline" / figure[1]).resolve().is_file()
