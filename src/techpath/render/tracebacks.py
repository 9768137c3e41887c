"""An exception as a reader wants to read it: the error type and message first (wrapped, never
cut at the right), then the frames of the page's own code, with each run of library frames
folded into a closed box that says how many there are and from which packages.

The traceback is the text Python prints (the page process formats it, execute/session.py), read
back here: frames are `  File "...", line N, in name` with their indented source lines; chained
exceptions keep their order. Text that does not look like a traceback is shown as it is."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_FRAME = re.compile(r'^  File "(?P<file>[^"]*)", line \d+')
_CHAIN = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
_HEADER = "Traceback (most recent call last):"
# Where installed code lives once paths are shown relative to the environment (shown_paths.py).
_LIBRARY_ROOTS = ("site-packages/", "dist-packages/", "<python>/", "<env>/")


@dataclass
class Frame:
    file: str
    text: str  # the `File ...` line and its source lines

    @property
    def library(self) -> str | None:
        """The package this frame runs in ("sklearn", "Python"), or None for the page's own code."""
        for root in _LIBRARY_ROOTS:
            if self.file.startswith(root):
                rest = self.file[len(root) :]
                return "Python" if root == "<python>/" else rest.split("/", 1)[0].removesuffix(".py")
        if self.file.startswith("<") and not self.file.startswith("<tmp>"):
            return "Python"  # <frozen importlib._bootstrap>, <__array_function__ internals>
        if self.file.startswith("/"):
            return "an installed package"
        return None


@dataclass
class Section:
    """One exception of a chain: its frames and the lines that name it."""

    frames: list[Frame] = field(default_factory=list)
    exception: list[str] = field(default_factory=list)
    separator: str = ""  # the sentence that links it to the exception before it


def parse(text: str) -> list[Section] | None:
    """The chain of exceptions in a printed traceback, or None when it is not one."""
    sections = [Section()]
    in_frame = False
    for line in text.rstrip("\n").split("\n"):
        current = sections[-1]
        if line.strip() in _CHAIN:
            sections.append(Section(separator=line.strip()))
            in_frame = False
        elif line.startswith(_HEADER) and not current.exception:
            continue
        elif _FRAME.match(line) and not current.exception:
            current.frames.append(Frame(_FRAME.match(line)["file"], line))  # type: ignore[index]
            in_frame = True
        elif in_frame and (line.startswith("    ") or line.startswith("  [")):
            current.frames[-1].text += "\n" + line
        elif line.strip() or current.exception:
            current.exception.append(line)
            in_frame = False
    sections = [s for s in sections if s.frames or s.exception]
    if not sections or not any(s.frames for s in sections):
        return None
    for section in sections:
        while section.exception and not section.exception[-1].strip():
            section.exception.pop()
    return sections


def exception_html(traceback: str, message: str = "", where: str = "") -> str:
    """The exception block: `message` first (default: the traceback's last exception lines),
    `where` under it (the post's file and line, for a failed block), then the frames."""
    sections = parse(traceback)
    if sections is None:
        head = message or traceback.strip()
        rest = traceback.strip() if message and traceback.strip() else ""
        return _block(head, where, _pre(rest, "techpath-frame techpath-frame--own") if rest else "")
    last = sections[-1]
    head = message or "\n".join(last.exception)
    parts = []
    for number, section in enumerate(sections):
        if section.separator:
            parts.append(f'<p class="techpath-exception__chain">{_e(section.separator)}</p>')
        parts += _frames_html(section.frames)
        if number < len(sections) - 1 and section.exception:
            parts.append(_pre("\n".join(section.exception), "techpath-exception__cause"))
    return _block(head, where, "".join(parts))


def _block(head: str, where: str, frames: str) -> str:
    where_html = f'<p class="techpath-exception__where">{_e(where)}</p>' if where else ""
    frames_html = f'<div class="techpath-traceback no-copy">{frames}</div>' if frames else ""
    return (
        f'<div class="techpath-exception">{_pre(head, "techpath-exception__message")}'
        f"{where_html}{frames_html}</div>"
    )


def _frames_html(frames: list[Frame]) -> list[str]:
    """The page's own frames shown; each run of library frames in one closed box."""
    parts: list[str] = []
    run: list[Frame] = []

    def fold() -> None:
        if not run:
            return
        packages = list(dict.fromkeys(f.library for f in run if f.library))
        count = f"{len(run)} frame{'s' if len(run) > 1 else ''}"
        summary = f"{count} inside {', '.join(packages)}"
        text = "\n".join(f.text for f in run)
        parts.append(
            f'<details class="techpath-frames"><summary>{_e(summary)}</summary>'
            f"{_pre(text, 'techpath-frame techpath-frame--library')}</details>"
        )
        run.clear()

    for frame in frames:
        if frame.library is not None:
            run.append(frame)
            continue
        fold()
        parts.append(_pre(frame.text, "techpath-frame techpath-frame--own"))
    fold()
    return parts


def _pre(text: str, css: str) -> str:
    return f'<pre class="{css}"><code>{_e(text)}</code></pre>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)
