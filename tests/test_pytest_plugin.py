"""`pytest` collects every page with code under docs/ as a test item."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_posts_become_items_and_failures_name_the_line(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", **{"docs/ok": "# Fine\n\n```python\nprint(1 + 1)\n```\n"})
    pytester.makefile(".md", **{"docs/bad": "# Bad\n\nText.\n\n```python\nimport math\nmath.tau(2)\n```\n"})
    pytester.makefile(".md", **{"docs/prose": "# Only prose\n"})
    pytester.makefile(".md", **{"elsewhere/ignored": "```python\nraise SystemExit(1)\n```\n"})
    result = pytester.runpytest_subprocess("docs", "--techpath-refresh", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*docs/bad.md:7: TypeError: 'float' object is not callable*"])
    result.stdout.fnmatch_lines(["*post bad.md*"])


@pytest.mark.slow
def test_xdist_workers_execute_each_post_once_and_report_it_each(pytester: pytest.Pytester) -> None:
    """Every worker collects every post; only the first executes them (here afresh, as in CI),
    the other waits for it and reads the results from the cache, failures included."""
    log = pytester.path / "executed.log"
    for name in ("one", "two", "three"):
        code = f"with open({str(log)!r}, 'a') as f:\n    print('{name}', file=f)\nprint('{name}')"
        pytester.makefile(".md", **{f"docs/{name}": f"# {name}\n\n```python\n{code}\n```\n"})
    pytester.makefile(".md", **{"docs/bad": "# Bad\n\n```python\nraise ValueError('bad on purpose')\n```\n"})
    basetemp = f"--basetemp={pytester.path / 'tmp'}"
    result = pytester.runpytest_subprocess(
        "docs", "-n", "2", "--techpath-refresh", "-p", "no:cacheprovider", basetemp
    )
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*docs/bad.md:4: ValueError: bad on purpose*"])
    assert sorted(log.read_text().split()) == ["one", "three", "two"]  # not twice each
