"""A page's output as it is produced: what it prints (sys.stdout / sys.stderr and file descriptors
1 and 2), within the output caps.

The page session (session.py) owns one `OutputCapture`; everything a block shows (streams,
displayed values, figures, notes) joins its `outputs` in the order it happens.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from techpath.model import Output

MAX_OUTPUT_CHARS = 50_000  # per block; the rest is counted and replaced by a note
MAX_RICH_CHARS = 1_000_000  # per MIME entry of a displayed value (an HTML table, an SVG)
MAX_RICH_PER_BLOCK = 4_000_000  # all rich outputs of one block together
OVERFLOW_FILE = "techpath-output-overflow.txt"  # in the page's private working folder


class _BinaryStream(io.RawIOBase):
    """`sys.stdout.buffer`: bytes written here join the same output, decoded as UTF-8."""

    def __init__(self, text: _Stream) -> None:
        self._text = text

    def write(self, data: Any) -> int:
        raw = bytes(data)
        self._text.write(raw.decode("utf-8", "replace"))
        return len(raw)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._text.fileno()


class _Stream(io.TextIOBase):
    """sys.stdout / sys.stderr replacement that feeds the page's output list.

    It has what scripts expect of the real streams: `buffer` (bytes), `fileno()` (the real file
    descriptor, whose output is captured too), `encoding`, `errors`, `isatty()`.
    """

    def __init__(self, emit: Callable[[str, str], None], name: str) -> None:
        self._emit, self.name_ = emit, name
        self.buffer = _BinaryStream(self)

    def write(self, text: str) -> int:
        self._emit(self.name_, text)
        return len(text)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return 1 if self.name_ == "stdout" else 2

    @property
    def encoding(self) -> str:
        return "utf-8"

    @property
    def errors(self) -> str:
        return "strict"

    @property
    def name(self) -> str:
        return f"<{self.name_}>"

    def isatty(self) -> bool:
        return False


class OutputCapture:
    """The running block's outputs, what it printed past its cap (counted, not kept) and the
    rich output it displayed so far (bounded per block). Installs itself as sys.stdout/stderr."""

    def __init__(self) -> None:
        self.outputs: list[Output] = []
        self.chars = 0
        self.dropped_chars = 0
        self.dropped_lines = 0
        self.rich_chars = 0
        self.limit = MAX_OUTPUT_CHARS
        self._stdout, self._stderr = _Stream(self.emit, "stdout"), _Stream(self.emit, "stderr")
        self._overflow: io.TextIOWrapper | None = None
        # where the page starts: a block may change folder (markdown-exec's workdir=) meanwhile
        self._overflow_path = Path.cwd() / OVERFLOW_FILE
        sys.stdout, sys.stderr = self._stdout, self._stderr

    def start_block(self, html: bool) -> None:
        """A fresh output list and budget for the next block; what a markdown-exec html="1"
        block prints is its HTML, bounded like a rich output."""
        self.outputs, self.chars, self.dropped_chars, self.dropped_lines = [], 0, 0, 0
        self.limit = MAX_RICH_CHARS if html else MAX_OUTPUT_CHARS
        self.rich_chars = 0

    def add(self, output: Output) -> None:
        self.outputs.append(output)

    def emit(self, name: str, text: str) -> None:
        if not text:
            return
        room = self.limit - self.chars
        if len(text) > room:
            self._overflow_to_file(text[room:])
            text = text[:room]
            if not text:
                return
        self.chars += len(text)
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.kind == "stream" and last.name == name:
            last.text += text
        else:
            self.outputs.append(Output("stream", name=name, text=text))

    def _overflow_to_file(self, rest: str) -> None:
        """Past the limit, print() writes straight to a scratch file (C speed) that is only
        measured: a post printing ten million lines costs seconds, not minutes."""
        if self._overflow is None:
            self._overflow = open(self._overflow_path, "w+", encoding="utf-8", errors="replace")  # noqa: SIM115
            sys.stdout = sys.stderr = self._overflow
        self._overflow.write(rest)

    def close_overflow(self) -> None:
        if self._overflow is None:
            return
        self._overflow.flush()
        with open(self._overflow_path, "rb") as f:
            while chunk := f.read(1 << 20):
                self.dropped_chars += len(chunk)
                self.dropped_lines += chunk.count(b"\n")
        self._overflow.close()
        self._overflow = None
        os.remove(self._overflow_path)
        sys.stdout, sys.stderr = self._stdout, self._stderr

    def take_native(self, native: NativeOutput) -> None:
        """What C code and subprocesses wrote to fd 1 and 2 during the block."""
        outputs, chars, lines = native.read(self.limit - self.chars)
        self.outputs += outputs
        self.chars += sum(len(o.text) for o in outputs)
        self.dropped_chars += chars
        self.dropped_lines += lines

    def note_truncation(self) -> None:
        if self.dropped_chars:
            note = (
                f"output truncated: {self.dropped_chars:,} more characters "
                f"({self.dropped_lines:,} lines) not shown"
            )
            self.outputs.append(Output("note", text=note))

    def cap_rich(self, bundle: dict[str, str]) -> None:
        """Drop from `bundle` each rich entry over the caps (a note says so); cut its plain text
        to the output limit."""
        for mime in [m for m in bundle if m != "text/plain"]:
            size = len(bundle[mime])
            if size > MAX_RICH_CHARS or self.rich_chars + size > MAX_RICH_PER_BLOCK:
                del bundle[mime]
                note = (
                    f"{mime} output of {size:,} characters not shown (limit {MAX_RICH_CHARS:,} "
                    f"per output, {MAX_RICH_PER_BLOCK:,} per block); the plain text form is shown"
                )
                self.outputs.append(Output("note", text=note))
            else:
                self.rich_chars += size
        bundle.setdefault("text/plain", "")
        plain = bundle["text/plain"]
        if len(plain) > MAX_OUTPUT_CHARS:
            bundle["text/plain"] = (
                plain[:MAX_OUTPUT_CHARS] + f"\n... ({len(plain) - MAX_OUTPUT_CHARS:,} more characters)"
            )


class NativeOutput:
    """What was written to file descriptors 1 and 2 (C code, `os.write`, subprocesses).

    The page's fd 1 and 2 point at files opened for appending. After each block the new bytes
    are read up to the block's remaining output budget, the rest is only counted, and the files
    are emptied, so output over the cap never spills into the next block and never piles up.
    """

    def __init__(self, work: Path) -> None:
        self._files = {"stdout": work / "native-stdout.txt", "stderr": work / "native-stderr.txt"}

    def read(self, room: int) -> tuple[list[Output], int, int]:
        """(outputs, characters dropped, lines dropped) since the last call."""
        outputs: list[Output] = []
        dropped_chars = dropped_lines = 0
        for name, path in self._files.items():
            try:
                with open(path, "rb") as f:
                    data = f.read(max(0, room))
                    while chunk := f.read(1 << 20):
                        dropped_chars += len(chunk)
                        dropped_lines += chunk.count(b"\n")
                os.truncate(path, 0)
            except OSError:
                continue
            if data:
                text = data.decode("utf-8", "replace")
                room -= len(text)
                outputs.append(Output("stream", name=name, text=text))
        return outputs, dropped_chars, dropped_lines
