"""The house in order: parsing is pure (the lint pass is separate), one table maps notebook tags to
block options in every direction, no import circle in src/, and imports run only downward through
the layers (parse → execute → render → stage → front ends)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from techpath.model import BlockOptions
from techpath.parse import load_post
from techpath.parse.frontmatter import PostSchema
from techpath.parse.gate import load_checked_post
from techpath.parse.tags import NOTEBOOK_TAGS, fence_word, options_for_tags, tags_for_options
from tests.engine_helpers import write_post


def test_parsing_never_imports_the_linter() -> None:
    code = "import sys, techpath.parse, techpath.parse.notebook\nprint('techpath.parse.gate' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_post_is_pure_and_lint_is_a_separate_pass(tmp_path: Path) -> None:
    body = (
        "---\ntitle: T\ndescription: D\ndate: 2026-01-01\nauthors: [a]\ncategories: [C]\n---\n\n"
        "```python\nimport os\nos.system('ls')\n```\n"
    )
    path = write_post(tmp_path, "p.md", body)
    schema = PostSchema(frozenset({"C"}), frozenset({"a"}))
    parsed = load_post(path, schema).problems
    checked = load_checked_post(path, schema).problems
    assert len(checked) >= len(parsed)
    assert [p for p in checked if p not in parsed] == [
        p for p in checked if p not in load_post(path, schema).problems
    ]


def test_one_table_maps_tags_options_and_fence_words() -> None:
    for tag, word, field, value in NOTEBOOK_TAGS:
        options = BlockOptions(**options_for_tags([tag]))
        assert getattr(options, field) == value
        assert fence_word(tag) == word
        # writing the options back gives the first tag of that option (and value) in the table
        first = next(t for t, _w, f, v in NOTEBOOK_TAGS if f == field and v == value)
        assert tags_for_options(options) == [first]


# -- the layout: no import circle, and imports only run downward ---------------------------------

SRC = Path(__file__).resolve().parents[1] / "src"

# The layers of src/techpath, lowest first (CONTRIBUTING.md, "Under the hood"): a room may import
# its own layer and the ones below, never one above. A room is a top-level module or package.
# ("techpath" is the package face: it hands the public names on when first used, by importlib.)
LAYERS: dict[str, tuple[str, ...]] = {
    "base": ("techpath", "options", "environment", "model", "fingerprint", "report", "memo"),
    "input": ("parse", "safety", "config"),
    "execute": ("execute", "dependencies", "cache", "engine"),
    "render": ("render", "site", "diff"),
    "stage": ("stage", "generators", "preview"),
    "front ends": ("mkdocs_plugin", "cli", "pytest_plugin", "contrib", "bench"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / "techpath").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """The modules of techpath that `path` imports (at any depth: a function's import counts),
    with the line; an import only for type checkers (`if TYPE_CHECKING:`) does not."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name in modules:  # `from techpath.execute import hooks` imports techpath.execute.hooks
                found.append((name, node.lineno))
                break
    return found


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_every_room_has_a_layer() -> None:
    placed = {room for rooms in LAYERS.values() for room in rooms}
    rooms = {_room(m) for m in _modules()}
    assert rooms <= placed, f"rooms of src/techpath with no layer in LAYERS: {sorted(rooms - placed)}"


def test_imports_never_climb_to_a_higher_layer() -> None:
    level = {room: i for i, rooms in enumerate(LAYERS.values()) for room in rooms}
    names = list(LAYERS)
    modules = _modules()
    climbs = []
    for module, path in modules.items():
        for target, line in _imports(path, modules):
            here, there = level[_room(module)], level[_room(target)]
            if there > here:
                climbs.append(
                    f"{path.relative_to(SRC.parent)}:{line}: {module} ({names[here]} layer) imports "
                    f"{target} ({names[there]} layer); move the code it needs down, or pass it in"
                )
    assert not climbs, "imports from a lower layer to a higher one:\n" + "\n".join(climbs)


def test_no_import_circle() -> None:
    modules = _modules()
    graph = {m: sorted({t for t, _ in _imports(p, modules) if t != m}) for m, p in modules.items()}
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in graph[module]:
            if state.get(target) == 1:
                circles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])
    assert not circles, "import circles in src/ (each module imports the next):\n" + "\n".join(
        " -> ".join(circle) for circle in circles
    )


# -- the public surface (docs/api.md) --------------------------------------------------------------


def test_the_public_names_import_from_the_package_and_nothing_loads_before_use() -> None:
    code = (
        "import sys, techpath\n"
        "before = sorted(m for m in sys.modules if m.startswith('techpath.'))\n"
        "names = {n: getattr(techpath, n) for n in techpath.__all__}\n"
        "print(before, sorted(n for n, v in names.items() if v is None))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] []", out.stdout + out.stderr


def test_the_public_names_are_the_documented_ones() -> None:
    import techpath

    page = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [name for name in techpath.__all__ if f"`{name}`" not in page]
    assert not missing, f"public names not documented on docs/api.md: {missing}"
    with pytest.raises(AttributeError, match="no attribute 'Stager'"):
        techpath.Stager  # noqa: B018 - an internal name is not reachable from the package


def test_the_entry_points_load() -> None:
    from importlib.metadata import entry_points

    for group, name, wanted in (
        ("mkdocs.plugins", "techpath", "TechpathPlugin"),
        ("pytest11", "techpath", "techpath.pytest_plugin"),
        ("console_scripts", "techpath", "main"),
    ):
        (point,) = [p for p in entry_points(group=group) if p.name == name]
        loaded = point.load()
        assert getattr(loaded, "__name__", "") == wanted, (group, loaded)
