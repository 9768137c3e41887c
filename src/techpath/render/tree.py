"""markdown-exec's `tree` fence: an indented list of names drawn as a file tree (├──, └──, │),
shown as a code block, with an icon per entry: 📁 and 📄 (`icons="basic"`), none, or (the
default when Material for MkDocs is installed) Material's own icons for known file types."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

FOLDER, FILE = "📁 ", "📄 "
# file type -> Simple Icons name in Material's icon set
_BY_NAME = {"Dockerfile": "docker", ".gitignore": "git", ".gitattributes": "git"}
_BY_SUFFIX = {
    "py": "python", "pyi": "python", "pyx": "python", "ipynb": "jupyter", "md": "markdown",
    "js": "javascript", "ts": "typescript", "jsx": "react", "tsx": "react", "json": "json",
    "yml": "yaml", "yaml": "yaml", "toml": "toml", "sh": "gnubash", "zsh": "zsh", "html": "html5",
    "css": "css", "scss": "sass", "svg": "svg", "c": "c", "h": "c", "cpp": "cplusplus",
    "hpp": "cplusplus", "go": "go", "rs": "rust", "rb": "ruby", "php": "php", "lua": "lua",
    "kt": "kotlin", "scala": "scala", "tex": "latex", "jpg": "jpeg", "jpeg": "jpeg", "jinja": "jinja",
}  # fmt: skip
ICON_TOKEN = "TECHPATHTREEICON"  # stands for an icon in the code until it is highlighted


@dataclass
class Node:
    text: str
    children: list[Node] = field(default_factory=list)


def parse_tree(code: str) -> list[Node]:
    """Entries by indentation: a line indented further than the one above is its child."""
    roots: list[Node] = []
    stack: list[tuple[int, list[Node]]] = [(0, roots)]
    for line in textwrap.dedent(code.strip("\n")).split("\n"):
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        while len(stack) > 1 and depth < stack[-1][0]:
            stack.pop()
        level, siblings = stack[-1]
        if depth > level and siblings:
            stack.append((depth, siblings[-1].children))
            siblings = siblings[-1].children
        siblings.append(Node(line.strip()))
    return roots


def draw(nodes: list[Node], icons: str, material: bool) -> tuple[str, list[str]]:
    """The tree as text, and the icon names its tokens stand for (in order)."""
    used: list[str] = []

    def icon(node: Node) -> str:
        name = node.text.split()[0]
        if icons == "none":
            return ""
        if node.children or name.endswith("/"):
            return FOLDER
        if icons == "basic" or not material:
            return FILE
        used.append(_icon_name(name))
        return f"{ICON_TOKEN}{len(used) - 1}X "

    def lines(children: list[Node], root: bool) -> list[str]:
        out: list[str] = []
        for number, node in enumerate(children):
            last = number == len(children) - 1
            branch = "" if root else ("└── " if last else "├── ")
            out.append(f"{branch}{icon(node)}{node.text}")
            below = lines(node.children, root=False)
            if root:
                out += below
            else:
                out += [("    " if last else "│   ") + line for line in below]
        return out

    return "\n".join(lines(nodes, root=True)), used


def _icon_name(name: str) -> str:
    if name in _BY_NAME:
        return f"simple/{_BY_NAME[name]}"
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    return f"simple/{_BY_SUFFIX[suffix]}" if suffix in _BY_SUFFIX else "material/file"


def material_icons() -> Path | None:
    """Material for MkDocs' icon folder, when it is installed."""
    try:
        import material
    except ImportError:
        return None
    folder = Path(material.__file__).parent / "templates" / ".icons"
    return folder if folder.is_dir() else None


@cache
def icon_svg(name: str) -> str:
    folder = material_icons()
    path = folder / f"{name}.svg" if folder is not None else None
    if path is None or not path.is_file():
        return ""
    return f'<span class="twemoji">{path.read_text(encoding="utf-8").strip()}</span>'
