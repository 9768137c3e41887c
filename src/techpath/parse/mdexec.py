"""markdown-exec's fence options (https://pawamoy.github.io/markdown-exec/usage/), read so a site
that used markdown-exec builds with techpath unchanged.

A fence that markdown-exec would claim (a language it knows with a true `exec`, or a `tree` /
`pyodide` fence) becomes an `MdExec`: what runs (`run_code`), what the page shows of the source
(`shown_code`) and how the result is written (`render/mdexec.py`). Options it documents are read
with its meaning; anything that would make it fail or garble the page is a problem naming what
to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# languages markdown-exec runs, and the interpreter each runs in
RUN_LANGUAGES = {
    "python": "python",
    "py": "python",
    "pycon": "python",
    "bash": "bash",
    "sh": "sh",
    "console": "sh",
}
RENDER_LANGUAGES = {"md", "markdown", "tree"}  # formatted at build time, nothing runs
LANGUAGES = frozenset(RUN_LANGUAGES) | RENDER_LANGUAGES | {"pyodide"}
ALWAYS_CLAIMED = frozenset({"tree", "pyodide"})  # markdown-exec formats them without `exec`
SOURCES = ("above", "below", "block", "material-block", "tabbed-left", "tabbed-right", "console")
DEFAULT_TABS = ("Source", "Result")
# options the source code block keeps (pymdownx.highlight's own); anything else would make
# superfences refuse the fence markdown-exec writes for the source
SOURCE_OPTIONS = frozenset({"title", "hl_lines", "linenums", "title_mode"})
OWN_OPTIONS = frozenset(
    {"exec", "html", "source", "result", "tabs", "session", "id", "idprefix", "updatetoc", "returncode"}
    | {"workdir", "width"}
)
HIDE_MARK = "markdown-exec: hide"  # a source line holding it is run but not shown
PYODIDE_ADVICE = (
    "pyodide fences load Pyodide, Ace and highlight.js from CDNs (cdn.jsdelivr.net, cdnjs) in the "
    "reader's browser; techpath sites work offline and allow no script from another host: make it a "
    '```python exec="on" source="above"``` block to run it at build time, or a plain ```python``` '
    "block to only show it"
)
_FALSE = {"", "no", "off", "false", "0"}
_PIPE = re.compile(r"(?<!\\)\|")


def truthy(value: str) -> bool:
    """markdown-exec's reading of a boolean option: true unless 0, no, off, false or empty."""
    return value.strip().lower() not in _FALSE


@dataclass(frozen=True)
class MdExec:
    """How markdown-exec would treat one fence."""

    language: str
    source: str = ""  # where the source is shown: "" (not shown) or one of SOURCES
    tabs: tuple[str, str] = DEFAULT_TABS
    result: str = ""  # wrap the output in a code block of this language
    html: bool = False  # the output is HTML, not Markdown
    session: str = ""
    id: str = ""
    idprefix: str | None = None  # None: "exec-N--" (or "<id>-" when id is given)
    updatetoc: bool = True
    returncode: int = 0
    workdir: str | None = None
    width: int = 0
    extra: tuple[tuple[str, str], ...] = ()  # options written back onto the shown source block
    icons: str = "auto"  # tree: "auto", "material", "zensical", "basic" or "none"
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def runs(self) -> bool:
        return self.language in RUN_LANGUAGES

    @property
    def interpreter(self) -> str:
        """ "python", "bash" or "sh" (empty for languages that do not run)."""
        return RUN_LANGUAGES.get(self.language, "")

    def run_code(self, code: str) -> str:
        """The code that runs. Lines a console transcript shows as output become empty lines, so
        every line keeps its number in the page (tracebacks name the page's own lines)."""
        if self.language == "pycon":
            return "\n".join(
                line[4:] if line.startswith((">>> ", "... ")) else "" for line in code.split("\n")
            )
        if self.language == "console":
            return "\n".join(line[2:] if line[:2] in ("$ ", "% ") else "" for line in code.split("\n"))
        return code

    def shown_code(self, code: str) -> str:
        """The source the page shows: only the prompt lines of a transcript, without the lines
        marked `markdown-exec: hide`, stripped."""
        if self.language == "pycon":
            code = "\n".join(line for line in code.split("\n") if line.startswith((">>> ", "... ")))
        elif self.language == "console":
            code = "\n".join(line for line in code.split("\n") if line[:2] in ("$ ", "% "))
        return "\n".join(line for line in code.split("\n") if HIDE_MARK not in line).strip()


def read_options(language: str, values: dict[str, str]) -> MdExec:
    """The fence's markdown-exec options (`values`: option -> unquoted value; an option written
    without a value has its own name as value, as superfences reads it)."""
    problems: list[str] = []
    settings: dict[str, object] = {}
    extra: list[tuple[str, str]] = []
    for name, value in values.items():
        if name == "exec":
            continue
        if name in ("html", "updatetoc"):
            settings[name] = truthy(value)
        elif name == "source":
            if value not in SOURCES:
                problems.append(f'source="{value}" is not one of markdown-exec\'s: {", ".join(SOURCES)}')
            else:
                settings["source"] = value
        elif name == "tabs":
            titles = [t.replace("\\|", "|").strip() for t in _PIPE.split(value, maxsplit=1)]
            if len(titles) != 2:
                problems.append(f'tabs="{value}" needs two titles, source first: tabs="Source|Result"')
            else:
                settings["tabs"] = (titles[0], titles[1])
        elif name in ("returncode", "width"):
            try:
                settings[name] = int(value)
            except ValueError:
                problems.append(f'{name}="{value}" needs a whole number, e.g. {name}="1"')
        elif name == "workdir":
            if value.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", value):
                problems.append(
                    f'workdir="{value}": give a folder relative to the site\'s folder, where mkdocs.yml is '
                    "(markdown-exec blocks run in a private copy of it, never in the source tree)"
                )
            else:
                settings["workdir"] = value
        elif name in ("result", "session", "id", "idprefix"):
            settings[name] = value
        elif name == "icons" and language == "tree":
            if value not in ("auto", "material", "zensical", "basic", "none"):
                problems.append(f'icons="{value}": expected auto, material, zensical, basic or none')
            else:
                settings["icons"] = value
        elif name in SOURCE_OPTIONS:
            extra.append((name, value))
        else:
            known = ", ".join(sorted(OWN_OPTIONS | SOURCE_OPTIONS | {"timeout"}))
            problems.append(
                f"unknown option {name!r} on a markdown-exec {language} block; expected one of: {known}"
            )
    return MdExec(language, extra=tuple(extra), problems=tuple(problems), **settings)  # type: ignore[arg-type]
