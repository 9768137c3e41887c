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
