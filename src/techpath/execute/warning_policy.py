"""The warnings a page raises: which fail its block (the site's `warnings: error` policy, minus the
post's `allow_warnings`), which are shown as Jupyter shows them, and the import-time warnings the
warm parent recorded, replayed when the page imports that module."""

from __future__ import annotations

import builtins
import re
import warnings
from collections.abc import Callable
from typing import Any

from techpath.execute import hooks
from techpath.execute.errors import in_site
from techpath.execute.shown_paths import shown_paths

POLICY_WARNINGS = (DeprecationWarning, FutureWarning, PendingDeprecationWarning)
ADVICE = (
    "Deprecation and future warnings fail the build: update the code, or allow it in the "
    "front matter under allow_warnings with a category, a match and a reason."
)


def jupyter_warning_filters() -> None:
    """The warning filters of a Jupyter kernel (Python's defaults, which IPython keeps): a
    DeprecationWarning shows when the page's own code (`__main__`) triggers it, not from inside
    a library; PendingDeprecationWarning, ImportWarning and ResourceWarning are ignored; the rest,
    FutureWarning included, show once per place."""
    warnings.resetwarnings()
    for category in (ResourceWarning, ImportWarning, PendingDeprecationWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")


class WarningPolicy:
    """Installed as `warnings.showwarning` for the page's life. Under the strict policy a
    deprecation or future warning the post does not allow is a violation of the running block
    (at the post's line that caused it); every other warning is printed to the page's stderr,
    with the site's paths."""

    def __init__(
        self,
        policy: str,
        allow: list[dict[str, str]],
        post: str,
        emit: Callable[[str, str], None],
        post_line: Callable[[], int],
    ) -> None:
        self.strict = policy != "show"
        self.allow = allow
        self._post, self._emit, self._post_line = post, emit, post_line
        self.violations: list[tuple[str, str, int]] = []  # (category, text, post line), this block's
        self._replayed: set[str] = set()
        warnings.showwarning = self.on_warning
        if not self.strict:
            jupyter_warning_filters()
        else:
            for category in POLICY_WARNINGS:
                warnings.simplefilter("always", category)

    def on_warning(
        self,
        message: Any,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        text = str(message)
        if self.strict and issubclass(category, POLICY_WARNINGS) and not self.allowed(category, text):
            post_line = self._post_line()
            where = shown_paths(in_site(f"{filename}:{lineno}"), keep=self._post)
            self.violations.append((category.__name__, f"{text} (from {where})", post_line))
            return
        formatted = warnings.formatwarning(message, category, filename, lineno, line)
        self._emit("stderr", shown_paths(in_site(formatted), keep=self._post))

    def allowed(self, category: type[Warning], text: str) -> bool:
        return any(
            entry.get("category") == category.__name__ and re.search(str(entry.get("match", "")), text)
            for entry in self.allow
        )

    def first_violation(self) -> tuple[str, str, int]:
        """(category, message, post line) of the block's first violation, counting the rest."""
        category, text, line = self.violations[0]
        more = f" (and {len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        return category, text + more, line

    def replay_import_warnings(self, name: str, fromlist: Any) -> None:
        """The policy warnings the warm parent recorded while importing `name` (or a module of
        its `fromlist`) for the warm-up (hooks.import_warnings), raised again now that the page
        imports it, once per module."""
        wanted = [name] + [f"{name}.{item}" for item in fromlist or () if isinstance(item, str)]
        for recorded, entries in hooks.import_warnings.items():
            if recorded in self._replayed:
                continue
            if any(w == recorded or w.startswith(recorded + ".") for w in wanted):
                self._replayed.add(recorded)
                for message, category, filename, lineno in entries:
                    warnings.warn_explicit(message, getattr(builtins, category), filename, lineno)
