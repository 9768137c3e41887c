"""Memos of the HTML phase's two parsers, for a process that builds the same site again.

Every page the HTML phase finishes (stage/finish.py) goes through two HTML parsers: the prose
policy (`policy.clean_html`: the page's content, every violation removed) and the CSP's inline
scripts (`csp.inline_script_hashes`: the whole page as written). In `techpath serve` every
rebuild finished every page again, so both parsed the same text again on each save.

Each is a pure function of its arguments: the text, and for the policy its `Profile` (whose
`key()` holds every field). Nothing else the HTML phase reads (the page's result, its API link
targets, the placeholders' parts, the links to figures, the site's CSP sources and the other
pages' scripts, lint's findings that are not reported again) is an input of either parser: it
is applied around them, on every build, as before. So an answer is keyed on a digest of the
exact text and the profile's key, and a key can only give the answer the parser would give.
What the policy reports is worked out from the returned violations each time
(`site.enforce_prose_policy`), so a hit reports what a miss would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import TypeVar

from techpath.memo import BoundedMemo
from techpath.safety import csp
from techpath.safety.policy import STRICT, Profile, Violation, clean_html

T = TypeVar("T")
MAX_ENTRIES = 2048  # two builds of a 500-page site's pages and blog views; least recently used out first


class TextMemo(BoundedMemo[T]):
    """Answers of `function(text, setting)` kept by a digest of the text and the setting's key."""

    def __init__(self, function: Callable[[str, Hashable], T], max_entries: int = MAX_ENTRIES) -> None:
        super().__init__(max_entries)
        self.function = function

    def __call__(self, text: str, setting: Hashable = None) -> T:
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).digest()
        return self.answer((digest, setting), lambda: self.function(text, setting))


_PROFILES: dict[Hashable, Profile] = {}  # a profile's key -> the profile (for the memo's function)


def _clean(text: str, key: Hashable) -> tuple[str, tuple[Violation, ...]]:
    cleaned, violations = clean_html(text, _PROFILES[key])
    return cleaned, tuple(violations)


def _hashes(text: str, _setting: Hashable) -> tuple[str, ...]:
    return tuple(csp.inline_script_hashes(text))


CLEANED: TextMemo[tuple[str, tuple[Violation, ...]]] = TextMemo(_clean)
SCRIPT_HASHES: TextMemo[tuple[str, ...]] = TextMemo(_hashes)


def cleaned_html(fragment: str, rules: Profile = STRICT) -> tuple[str, list[Violation]]:
    """`policy.clean_html(fragment, rules)`, remembered."""
    key = rules.key()
    _PROFILES.setdefault(key, rules)
    cleaned, violations = CLEANED(fragment, key)
    return cleaned, list(violations)


def inline_script_hashes(page_html: str) -> list[str]:
    """`csp.inline_script_hashes(page_html)`, remembered."""
    return list(SCRIPT_HASHES(page_html))
