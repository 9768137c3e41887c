"""Which of a page's modules are the site's own (execute/reads.py, `module_files`): the files
the warm-up imported are resolved once before the fork (`remember_module_files`), the page's
own imports when it ends, and the answer is the same either way."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from techpath.execute import hooks
from techpath.execute.overlay import Overlay
from techpath.execute.reads import FileWatch, realpath_in_folders, remember_module_files


@pytest.fixture
def remembered() -> Iterator[dict[str, str]]:
    """hooks.module_realpaths (and the inherited modules' note) as a test leaves it: restored afterwards."""
    saved = dict(hooks.module_realpaths)
    inherited = hooks.inherited_names, hooks.inherited_files
    try:
        yield hooks.module_realpaths
    finally:
        hooks.module_realpaths.clear()
        hooks.module_realpaths.update(saved)
        hooks.inherited_names, hooks.inherited_files = inherited


@pytest.fixture
def fake_modules() -> Iterator[dict[str, types.ModuleType]]:
    added: dict[str, types.ModuleType] = {}
    try:
        yield added
    finally:
        for name in added:
            sys.modules.pop(name, None)


def add_module(modules: dict[str, types.ModuleType], name: str, file: str) -> None:
    module = types.ModuleType(name)
    module.__file__ = file
    modules[name] = sys.modules[name] = module


def test_the_warm_up_s_module_files_are_resolved_through_links_and_relative_ones_left_to_the_page(
    tmp_path: Path, remembered: dict[str, str], fake_modules: dict[str, types.ModuleType]
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "lib.py").write_text("")
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    add_module(fake_modules, "_techpath_test_linked", str(tmp_path / "linked" / "lib.py"))
    add_module(fake_modules, "_techpath_test_relative", "relative/lib.py")
    remember_module_files()
    assert remembered[str(tmp_path / "linked" / "lib.py")] == str((tmp_path / "real" / "lib.py").resolve())
    assert "relative/lib.py" not in remembered  # resolved from the page's own folder, at its end


def test_a_site_module_is_found_whether_its_file_was_resolved_before_the_fork_or_after(
    tmp_path: Path, remembered: dict[str, str], fake_modules: dict[str, types.ModuleType]
) -> None:
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    (site / "docs").mkdir(parents=True)
    (site / "docs" / "helpers.py").write_text("")
    (site / "docs" / "later.py").write_text("")
    elsewhere.mkdir()
    (elsewhere / "helpers.py").symlink_to(site / "docs" / "helpers.py")
    watch = FileWatch(Overlay(site, tmp_path / "mirror"), "docs", [])
    add_module(fake_modules, "_techpath_test_helpers", str(elsewhere / "helpers.py"))
    remember_module_files()  # as the warm parent does before forking pages
    add_module(fake_modules, "_techpath_test_later", str(site / "docs" / "later.py"))  # the page's own
    found = watch.module_files()
    assert {"docs/helpers.py", "docs/later.py"} <= found
    # the remembered resolution is the one used (not resolved again in every page)
    remembered[str(elsewhere / "helpers.py")] = str(tmp_path / "outside.py")
    remember_module_files()  # keeps what it resolved, and notes the modules again
    assert "docs/helpers.py" not in watch.module_files()


class CountedModule(types.ModuleType):
    """A module that counts the reads of its `__file__`."""

    reads = 0

    def __getattribute__(self, name: str) -> Any:
        if name == "__file__":
            type(self).reads += 1
        return super().__getattribute__(name)


def site_module_files(watch: FileWatch) -> set[str]:
    """What `module_files` answers, by its definition: every module object looked at."""
    found = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        relative = watch._in_source(os.path.realpath(file)) if isinstance(file, str) else None
        if relative is not None:
            found.add(relative)
    return found


def test_a_page_reads_its_inherited_modules_from_the_warm_up_s_note_not_from_their_objects(
    tmp_path: Path, remembered: dict[str, str], fake_modules: dict[str, types.ModuleType]
) -> None:
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    for name in ("helpers", "gone", "swapped", "other", "later"):
        (site / "docs" / f"{name}.py").write_text("")
    watch = FileWatch(Overlay(site, tmp_path / "mirror"), "docs", [])
    library = CountedModule("_techpath_test_library")
    library.__file__ = str(tmp_path / "library.py")
    fake_modules["_techpath_test_library"] = sys.modules["_techpath_test_library"] = library
    for name in ("helpers", "gone", "swapped"):
        add_module(fake_modules, f"_techpath_test_{name}", str(site / "docs" / f"{name}.py"))
    remember_module_files()  # as the warm parent does before forking pages
    CountedModule.reads = 0
    del sys.modules["_techpath_test_gone"]  # the page removes one, replaces one, adds one
    add_module(fake_modules, "_techpath_test_swapped", str(site / "docs" / "other.py"))
    add_module(fake_modules, "_techpath_test_later", str(site / "docs" / "later.py"))
    found = watch.module_files()
    assert CountedModule.reads == 0  # an inherited module outside the site is not touched
    assert {"docs/helpers.py", "docs/other.py", "docs/later.py"} <= found
    assert not {"docs/gone.py", "docs/swapped.py"} & found
    assert found == site_module_files(watch)


def test_folders_resolved_once_give_what_realpath_gives(tmp_path: Path) -> None:
    """The warm-up resolves each module folder once (`realpath_in_folders`): every kind of path
    resolves exactly as os.path.realpath resolves it, with a folder's answer reused."""
    (tmp_path / "real" / "pkg").mkdir(parents=True)
    (tmp_path / "real" / "pkg" / "mod.py").write_text("")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "target.py").write_text("")
    (tmp_path / "linked").symlink_to(tmp_path / "real")  # a linked folder
    (tmp_path / "real" / "pkg" / "alias.py").symlink_to("../../other/target.py")  # a linked file, relative
    (tmp_path / "real" / "pkg" / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "real" / "loop.py").symlink_to(tmp_path / "real" / "loop.py")
    paths = [
        f"{tmp_path}/linked/pkg/mod.py",
        f"{tmp_path}/linked/pkg/alias.py",
        f"{tmp_path}/linked/pkg/dangling.py",
        f"{tmp_path}/linked/pkg/missing.py",
        f"{tmp_path}/linked/pkg/../pkg/mod.py",
        f"{tmp_path}/linked//pkg/./mod.py",
        f"{tmp_path}/linked/pkg/",
        f"{tmp_path}/linked/pkg/.",
        f"{tmp_path}/linked/pkg/..",
        f"{tmp_path}/real/loop.py",
        f"{tmp_path}/absent/folder/mod.py",
        "/",
        *[m.__file__ for m in list(sys.modules.values()) if isinstance(getattr(m, "__file__", None), str)],
    ]
    folders: dict[str, str] = {}
    for path in paths * 2:  # the second round reads the folders' answers from `folders`
        assert realpath_in_folders(path, folders) == os.path.realpath(path), path
    assert folders[f"{tmp_path}/linked/pkg"] == str(tmp_path / "real" / "pkg")
