"""The sample site built end to end: outputs in the right place, options invisible, failures
reported with file and line while the rest of the site still builds."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_mkdocs_build

SAMPLE = Path(__file__).parent / "sample_site"


pytestmark = pytest.mark.slow  # builds a whole site


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "sample"
    shutil.copytree(SAMPLE, site)
    config = site / "mkdocs.yml"
    katex = (Path(__file__).parents[1] / "node_modules" / "katex").as_posix()
    config.write_text(config.read_text().replace("../../node_modules/katex", katex))
    monkeypatch.setenv("TECHPATH_CACHE_DIR", str(tmp_path / "cache"))
    return site


def _build(site: Path):
    return run_mkdocs_build(site / "out", site / "mkdocs.yml")


def test_good_post_renders_outputs_after_their_blocks(sample: Path) -> None:
    result = _build(sample)
    assert result.returncode == 0, result.stderr
    html = (sample / "out" / "blog" / "good" / "index.html").read_text()
    # Output follows the code it belongs to.
    code_at = html.index("sum is")
    assert html.index('<div class="techpath-output"', code_at) < html.index("1 / 0")
    assert "sum is 10" in html
    # Hidden blocks leave no trace; skipped blocks show code but no output; options are gone.
    assert "SECRET_HIDDEN_NAME" not in html
    assert "this_would_fail" in html
    assert "standalone" not in html and "raises=" not in html and "ZeroDivisionError&quot;" not in html
    assert 'class="filename">shown.py' in html  # highlight options are kept
    # The expected exception is shown as output, not as an error.
    assert "ZeroDivisionError: division by zero" in html and "techpath-error" not in html
    # The figure is a file in the site, with alt text and size.
    # The width may be raised so the figure's smallest text stays readable (render/figures.py);
    # the aspect ratio of the saved file stays (the sample site keeps Jupyter's tight box, so
    # it is the drawing's own, not matplotlib's 4:3 canvas).
    # (attributes in any order: the staged Markdown's attr_list writes them)
    img = re.search(r'<img [^>]*src="[^"]+\.svg"[^>]*>', html)
    assert img, "figure missing"
    assert 'alt="Figure: Squares grow fast; x axis: n, y axis: n squared"' in img[0]
    assert 'loading="lazy"' in img[0]
    size = re.search(r'width="(\d+)"', img[0]), re.search(r'height="(\d+)"', img[0])
    assert size[0] and size[1], img[0]
    match = re.search(r'src="([^"]+\.svg)"', img[0])
    assert match
    svg = (sample / "out" / "blog" / "good" / match.group(1)).resolve().read_text()
    assert svg.startswith("<?xml")
    box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    assert box, svg[:300]
    width, height = int(size[0][1]), int(size[1][1])
    assert abs(width / height - float(box[1]) / float(box[2])) < 0.02, (width, height, box[0])
    # The trailing expression of the figure block and the box's code were displayed.
    assert "np.float64(2.0)" in html and ">2.0<" in html
    # Math (in the intro and in the box) is typeset at build time.
    assert 'class="arithmatex"' not in html and html.count('class="katex"') >= 2
    # Home page code ran too; the report lists both pages.
    assert "home page code runs too" in (sample / "out" / "index.html").read_text()
    report = json.loads((sample / "out" / "techpath-report.json").read_text())
    assert {row["path"].split("/")[-1] for row in report["posts"]} == {"index.md", "good.md"}
    assert all(row["status"] == "ok" and row["versions"]["scikit-learn"] for row in report["posts"])


BROKEN = """---
title: Broken {n}
description: A post with a bug.
date: 2026-01-02
authors: [team]
categories: [Samples]
tags: [sample]
---

Intro.

<!-- more -->

```python
x = 1
print(undefined_{n})
```
"""


def test_failures_fail_strict_builds_and_show_in_pages_otherwise(sample: Path) -> None:
    posts = sample / "docs" / "blog" / "posts"
    for n in (1, 2):
        (posts / f"broken{n}.md").write_text(BROKEN.format(n=n))
    (posts / "badyaml.md").write_text(BROKEN.format(n=3).replace("title: Broken 3", "title: [oops"))
    strict = _build(sample)
    assert strict.returncode == 1
    log = strict.stderr + strict.stdout
    assert "docs/blog/posts/broken1.md:16: NameError: name 'undefined_1' is not defined" in log
    assert "docs/blog/posts/broken2.md:16: NameError: name 'undefined_2' is not defined" in log
    assert "docs/blog/posts/badyaml.md:2: front matter is not valid YAML" in log
    # Without --strict (as `mkdocs serve` does) the site builds and the page shows the traceback.
    config = sample / "mkdocs.yml"
    relaxed = run_mkdocs_build(sample / "out", config, strict=False)
    assert relaxed.returncode == 0, relaxed.stderr
    page = (sample / "out" / "blog" / "broken-1" / "index.html").read_text()
    assert 'class="techpath-output techpath-error"' in page
    assert "NameError: name &#x27;undefined_1&#x27; is not defined" in page
    assert "sum is 10" in (sample / "out" / "blog" / "good" / "index.html").read_text()
    assert not (sample / "out" / "blog" / "badyaml").exists()  # held back until fixed
    assert config.exists()
