"""The data that flows through the engine: posts and code blocks in, typed results out.

Everything here is plain data (dataclasses that round-trip through JSON), so results can be
cached, sent between processes and rendered by any front end.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from techpath.options import PluginOptions

# ---------------------------------------------------------------------------------------------
# Input: a post and its code blocks


@dataclass(frozen=True)
class BlockOptions:
    """Per-block options, written after the fence language: ```` ```python hide timeout="60" ````."""

    skip: bool = False  # shown, not executed
    hide: bool = False  # executed, neither code nor output shown
    hide_code: bool = False  # executed, only the output shown (notebook tag hide-input)
    hide_output: bool = False  # executed, only the code shown (notebook tag remove-output)
    raises: str | None = None  # expected exception class name ("" = any exception)
    timeout: float | None = None  # seconds for this block; None = the run's default
    standalone: bool = False  # must also pass alone in a fresh interpreter
    exercise: str = ""  # "starter", "check" or "solution": a part of an exercise (parse/exercises.py)
    # markdown-exec's blocks (parse/mdexec.py): what runs the code, and its semantics: what the
    # block prints is its result (no trailing expression shown, figures only on plt.show())
    language: str = "python"  # "python", "bash" or "sh"
    mdexec: bool = False
    session: str | None = None  # None: the page's namespace; "": a fresh one; else a named one
    returncode: int = 0  # the exit status a shell block must end with
    workdir: str | None = None  # folder the block runs in, relative to where the page runs
    width: int = 0  # COLUMNS while the block runs (0: unset)
    html: bool = False  # what it prints is HTML (markdown-exec's html="1"): kept up to a rich output's size


@dataclass(frozen=True)
class CodeBlock:
    """One executable block of a post, with where it sits in the source file."""

    index: int  # 0-based position among the post's executable blocks
    source: str  # the code, dedented
    line: int  # 1-based line in the source file of the block's first code line
    options: BlockOptions = BlockOptions()
    cell: int | None = None  # notebook cell number (1-based), None for Markdown
    # the file line of each code line, when they are not the lines from `line` on (code a
    # pymdownx.snippets include brought in: its lines are the include's line)
    lines: tuple[int, ...] | None = None

    def file_line(self, code_line: int = 1) -> int:
        """1-based line in the file of the `code_line`-th line of the block."""
        if self.lines:
            return self.lines[min(max(code_line, 1), len(self.lines)) - 1]
        return self.line + code_line - 1

    def location(self, path: str, code_line: int = 1) -> str:
        """`path:line` of the `code_line`-th line of the block (or its cell, for notebooks)."""
        if self.cell is not None:
            return f"{path}:cell {self.cell}:{code_line}"
        return f"{path}:{self.file_line(code_line)}"


@dataclass(frozen=True)
class InlineExpr:
    """An inline value `` `{python} expr` `` or claim `` `{claim} 0.97 ~ expr` `` in the prose.

    Evaluated in the page's namespace right after block `after` (-1: before the first block).
    """

    index: int  # 0-based position among the post's inline expressions
    kind: Literal["value", "claim"]
    source: str  # the span's text after the {python} / {claim} marker
    line: int  # 1-based line in the source file (for notebooks: the line in the cell)
    after: int
    cell: int | None = None  # notebook cell number (1-based), None for Markdown

    def location(self, path: str) -> str:
        if self.cell is not None:
            return f"{path}:cell {self.cell}:{self.line}"
        return f"{path}:{self.line}"


@dataclass(frozen=True)
class Exercise:
    """An exercise: a task in prose and three blocks, verified in two forks of the page process
    (execute/exercise.py). The page itself runs none of them: later blocks see the state before."""

    index: int  # 0-based position among the post's exercises
    title: str
    line: int  # 1-based line of the `!!! exercise` box (for notebooks: 1, with `cell`)
    starter: int  # block indices
    check: int
    solution: int
    cell: int | None = None  # notebook cell number of the task (1-based), None for Markdown

    def location(self, path: str) -> str:
        return f"{path}:cell {self.cell}:1" if self.cell is not None else f"{path}:{self.line}"


@dataclass(frozen=True)
class Problem:
    """Bad input, found before anything runs: file, line, what was expected."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Post:
    """A parsed post: its front matter and its code blocks in execution order."""

    path: Path  # as given (kept relative, so messages read docs/blog/posts/x.md:42)
    meta: dict[str, Any]
    blocks: list[CodeBlock]
    text: str  # the file's text (Markdown, or the notebook JSON)
    problems: list[Problem] = field(default_factory=list)
    inputs: list[Path] = field(default_factory=list)  # local files the post declares it reads
    root: Path | None = None  # its repository: inputs may lie anywhere inside (parse/inputs.py)
    inline: list[InlineExpr] = field(default_factory=list)  # inline values and claims (parse/inline.py)
    exercises: list[Exercise] = field(default_factory=list)  # parse/exercises.py
    # How the site runs it (parse/policy.py): policy warnings fail a block ("error") or show as
    # in Jupyter ("show"); matplotlib settings applied before its first block.
    warnings: str = "error"
    figure_rc: dict[str, Any] = field(default_factory=dict)

    @property
    def runs(self) -> bool:
        """Whether the page executes: it has code blocks or inline values and claims."""
        return bool(self.blocks or self.inline)

    @property
    def display_path(self) -> str:
        return self.path.as_posix()


@dataclass(frozen=True)
class Limits:
    """Resource limits of one page's execution (defaults: the plugin options', options.py)."""

    # seconds per block unless the post or the block sets timeout; None: no limit of its own,
    # the page's limit holds (a real ML cell may take minutes; Jupyter has no limit at all)
    block_timeout: float | None = PluginOptions.default("block_timeout")
    page_timeout: float = float(PluginOptions.default("page_timeout"))  # seconds for the whole page
    # memory (private resident) the page may add on top of the warm imports
    memory_mb: int = int(PluginOptions.default("memory_mb"))

    def for_block(self, block: CodeBlock, post_timeout: float | None = None) -> float:
        """The one effective timeout of a block, used by the page itself and by its parent:
        the block's own `timeout=` (a notebook cell's `execution.timeout`), else the post's
        `timeout:`, else the default; 0 or none of them: the page's limit."""
        asked = block.options.timeout if block.options.timeout is not None else post_timeout
        return float(asked if asked is not None else self.block_timeout or 0) or self.page_timeout

    def default_block(self, post_timeout: float | None = None) -> float:
        """The timeout of a block that sets none (also used for inline values)."""
        return float(post_timeout or self.block_timeout or self.page_timeout)

    def for_page(self, blocks: list[CodeBlock], post_timeout: float | None = None) -> float:
        """The page deadline; never shorter than a timeout the post itself asks for (front
        matter `timeout:` or a block's `timeout=`), so a post's own limit is the one that holds."""
        asked = [float(b.options.timeout or post_timeout or 0) for b in blocks if not b.options.skip]
        return max([self.page_timeout, *asked])


# ---------------------------------------------------------------------------------------------
# Output: what executing a post produced

OutputKind = Literal["stream", "result", "display", "figure", "error", "note"]


@dataclass
class Output:
    """One item of a block's output, in the order it was produced.

    stream: `name` is stdout/stderr, `text` the text. result/display: `data` is a MIME bundle
    (text/plain, text/html). figure: `data` has `file` (name in the result folder), `format`
    and `alt`. error: `text` is the formatted traceback. note: a message from the engine.
    """

    kind: OutputKind
    name: str = ""
    text: str = ""
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class BlockError:
    """Why a block failed, located in the post's own file."""

    type: str  # exception class name, or Timeout / Crash / MemoryLimit / Warning / ...
    message: str
    line: int  # 1-based line in the post file (for notebooks: the line in the cell)
    location: str  # "docs/blog/posts/x.md:42" or "x.ipynb:cell 3:2"
    traceback: str = ""

    def headline(self) -> str:
        return f"{self.location}: {self.type}: {self.message}"


Status = Literal["ok", "error", "skipped", "not-run"]


@dataclass
class BlockResult:
    index: int
    status: Status
    outputs: list[Output] = field(default_factory=list)
    error: BlockError | None = None
    duration: float = 0.0
    standalone_ok: bool | None = None  # None when not checked
    # Dotted names in the code -> {"path", "kind"} of the library object (execute/names.py).
    names: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def not_reached(cls, index: int, failed: CodeBlock) -> BlockResult:
        """A block the page never ran because an earlier one failed, with a note saying so in
        its output slot: a page stops at its first failure, as Jupyter does."""
        where = f"cell {failed.cell}" if failed.cell is not None else f"the block at line {failed.line}"
        note = f"Not run: {where} failed, and a page stops at its first error (as in Jupyter)."
        return cls(index, "not-run", outputs=[Output("note", text=note)])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlockResult:
        error = BlockError(**data["error"]) if data.get("error") else None
        outputs = [Output(**o) for o in data.get("outputs", [])]
        return cls(**{**data, "outputs": outputs, "error": error})


@dataclass
class InlineResult:
    """What an inline value or claim evaluated to."""

    index: int
    status: Status
    text: str = ""  # what the prose shows: the formatted value, or the claim's literal
    value: str = ""  # repr of the expression's value (for claims and `techpath diff`)
    error: BlockError | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InlineResult:
        error = BlockError(**data["error"]) if data.get("error") else None
        return cls(**{**data, "error": error})


@dataclass
class ExerciseResult:
    """How an exercise fared: the starter ran and failed the check, the solution passed it."""

    index: int
    status: Status
    starter_says: str = ""  # what the check said about the starter ("AssertionError: ...")
    duration: float = 0.0  # seconds, both forks

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExerciseResult:
        return cls(**data)


@dataclass
class PageResult:
    """Everything one post's execution produced."""

    path: str
    blocks: list[BlockResult]
    duration: float = 0.0
    peak_memory_mb: float = 0.0
    executed_at: str = ""  # ISO date-time of the execution that produced this result
    versions: dict[str, str] = field(default_factory=dict)
    from_cache: bool = False
    figure_dir: str = ""  # folder holding this result's figure files
    inline: list[InlineResult] = field(default_factory=list)
    exercises: list[ExerciseResult] = field(default_factory=list)
    # What the result depends on besides its cache key, recorded as it ran (dependencies.py):
    # {"distributions": {project: version}, "files": {path: sha256}, "listings": {folder: sha256}}
    dependencies: dict[str, Any] = field(default_factory=dict)
    rerun_because: str = ""  # why a cached result was not reused (not stored)

    @property
    def errors(self) -> list[BlockError]:
        found = [b.error for b in self.blocks if b.error is not None]
        return found + [i.error for i in self.inline if i.error is not None]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("from_cache")
        data.pop("figure_dir")
        data.pop("rerun_because")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageResult:
        blocks = [BlockResult.from_json(b) for b in data["blocks"]]
        inline = [InlineResult.from_json(i) for i in data.get("inline", [])]
        exercises = [ExerciseResult.from_json(e) for e in data.get("exercises", [])]
        return cls(**{**data, "blocks": blocks, "inline": inline, "exercises": exercises})
