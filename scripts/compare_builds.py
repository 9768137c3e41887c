"""Build a site with a given checkout of techpath, and compare two built sites byte for byte.

For refactors that must not change what readers get: build the same site source with the code
before and after the change, then compare the two folders page by page.

    # the same site source, built by two checkouts of the code (fresh result cache each time)
    python scripts/compare_builds.py build --code /tmp/before --config /tmp/before/mkdocs.yml --out /tmp/b
    python scripts/compare_builds.py build --code . --config /tmp/before/mkdocs.yml --out /tmp/a
    python scripts/compare_builds.py /tmp/b /tmp/a

`build` runs `techpath build` with `CODE/src` first on PYTHONPATH (so it wins over the installed
package; `--python` picks the interpreter, default this one), in the folder of `--config` (paths
in error messages are relative to it, so both builds must use the same one), with a fresh result
cache, no warm process kept (TECHPATH_KEEP_WARM=0), and `-g GENERATOR`. The build's output goes
to OUT.log.

The comparison is byte for byte after replacing, with `<normalised>`, only what differs between
two builds of the same code and source (found by building one checkout twice), listed in
`RULES` below and printed by `--rules`:

- `sitemap.xml` (and `sitemap.xml.gz`, compared decompressed: its gzip header holds the time
  of compression): each `<lastmod>` date, the build's date;
- RSS and JSON feeds (`feed_*.xml`, `feed_*.json`): the feed's own `<pubDate>` and
  `<lastBuildDate>` (before its first item), every `"date_modified"`, and every `<pubDate>` of
  the feed of updated posts: build times, and modification times of files (a notebook post's page
  is written during the build; git keeps no file times);
- `techpath-report.json`: each page's `duration_s`, `peak_memory_mb` and `executed_at`;
- HTML pages: the number in a post's "code runs in 0.8 s"; in the execution report table (and
  its text in the search index) each page's run date, duration and peak memory;
- times a page's own code measured and printed (a number followed by ms, s or min inside a
  `techpath-stdout` output, or inside a downloadable notebook's output text): the gradient
  boosting and grid search posts time their fits;
- the memory address in a default repr (`<__main__.Rich object at 0x7f...>`) in a downloadable
  notebook's `text/plain` output (the hostile site's output-attacks post has one);
- `.zip` downloads are compared member by member (name and normalised content), since each
  member's header holds the time it was written.

Nothing else: the page text, outputs, figures, search index, downloads and assets must be equal
byte for byte. Exit status 0 when the sites are identical after normalisation, 1 otherwise
(each differing file is listed with its first differing lines).
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

NORMALISED = "<normalised>"
_DATE = r"\d{4}-\d\d-\d\d"
_COLON = "(?::|&#58;)"  # ProperDocs and Zensical write the report's colons as &#58;
_TIME = rf"\d\d{_COLON}\d\d(?:{_COLON}\d\d(?:\.\d+)?)?"


@dataclass(frozen=True)
class Rule:
    """One legitimately variable part of a built site: in which files (a test on the file name),
    inside which regions of them (`region`; the whole file when None), what (`pattern`: the
    text between its groups becomes the marker, its groups are kept) and why."""

    applies: Callable[[str], bool]
    pattern: re.Pattern[str]
    why: str
    region: re.Pattern[str] | None = None

    def apply(self, text: str) -> str:
        def mark(match: re.Match[str]) -> str:
            return NORMALISED.join(g or "" for g in match.groups()) if match.groups() else NORMALISED

        if self.region is None:
            return self.pattern.sub(mark, text)
        return self.region.sub(lambda r: self.pattern.sub(mark, r[0]), text)


def _named(*names: str) -> Callable[[str], bool]:
    return lambda name: name in names


def _suffix(*suffixes: str) -> Callable[[str], bool]:
    return lambda name: name.endswith(suffixes)


def _feed(suffix: str) -> Callable[[str], bool]:
    return lambda name: name.startswith("feed_") and name.endswith(suffix)


# A time a page's own code measured and printed ("fit 3.79 s per fold", "about 22.1 ms").
_MEASURED_TIME = re.compile(r"()\d+(?:\.\d+)?( (?:ms|s|min)\b)")
_RUN_CELLS = rf"{_DATE} {_TIME} UTC"
_EXERCISES = r"\d+ (?:verified|of \d+ failing)(?:, \d+ not run)?"  # report.py exercise_summary

RULES = (
    Rule(_named("sitemap.xml"), re.compile(r"(<lastmod>)[^<]*(</lastmod>)"), "the build's date"),
    Rule(
        _feed(".xml"),
        re.compile(r"(<(pubDate|lastBuildDate)>)[^<]*(</\2>)"),
        "the feed's own publication and build time (the channel's, before the first item)",
        region=re.compile(r"^.*?(?=<item>)", re.S),
    ),
    Rule(
        _feed(".json"),
        re.compile(r'("date_modified": ?")[^"]*(")'),
        "modification times: the build's for the feed, a file's for an item (a notebook post's page "
        "is written during the build; git does not keep the times of the others)",
    ),
    Rule(
        _feed("_updated.xml"),
        re.compile(r"(<pubDate>)[^<]*(</pubDate>)"),
        "the same modification times, in the feed of updated posts",
    ),
    Rule(
        _named("techpath-report.json"),
        re.compile(r'("(?:duration_s|peak_memory_mb|executed_at)": )(?:"[^"]*"|[\d.]+|null)()'),
        "each page's run time, peak memory and run date",
    ),
    Rule(
        _suffix(".html"),
        re.compile(r"(code runs in )[\d.]+ (?:s|min)(<)"),
        "a post's run time under its title",
    ),
    Rule(
        _suffix(".html"),
        re.compile(rf"(<td>){_RUN_CELLS}(</td>\s*<td>[^<]*</td>\s*<td>)[\d.]+ s(</td>\s*<td>)\d+ MB(</td>)"),
        "the execution report table: each page's run date, duration and peak memory",
    ),
    Rule(
        _named("search_index.json", "search.json"),
        re.compile(rf"(){_RUN_CELLS}( ?(?:{_EXERCISES}|\\u2014|—)? ?)[\d.]+ s( ?)\d+ MB()"),
        "the execution report table as the search index holds it",
    ),
    Rule(
        _suffix(".html"),
        _MEASURED_TIME,
        "times a page's code measured and printed (wall-clock, vary from run to run)",
        region=re.compile(r'<pre\b[^>]*\bclass="techpath-stdout"[^>]*>.*?</pre>', re.S),
    ),
    Rule(
        _suffix(".ipynb"),
        _MEASURED_TIME,
        "the same times in the downloadable notebooks' stored outputs",
        region=re.compile(r'^ *"text": .*$', re.M),
    ),
    Rule(
        _suffix(".ipynb"),
        re.compile(r"( object at )0x[0-9a-f]+(>)"),
        "memory addresses in a default repr (`<__main__.Rich object at 0x7f...>`) in a notebook's output",
        region=re.compile(r'^ *"text/plain": .*$', re.M),
    ),
)


def normalise(relative: str, data: bytes) -> bytes:
    """`data` of the file at `relative` (posix path in the site) with its legitimately variable
    parts replaced by a marker. A `.gz` file is compared decompressed (its header holds the time
    of compression), a `.zip` by its members' names and normalised contents (each member's
    header holds the time it was written)."""
    name = relative.rsplit("/", 1)[-1]
    if name.endswith(".gz"):
        data = gzip.decompress(data)
        name = name.removesuffix(".gz")
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [(info.filename, archive.read(info)) for info in archive.infolist()]
        return b"".join(f"\n== {n}\n".encode() + normalise(n, content) for n, content in members)
    rules = [rule for rule in RULES if rule.applies(name)]
    if not rules:
        return data
    text = data.decode("utf-8")
    for rule in rules:
        text = rule.apply(text)
    return text.encode("utf-8")


def site_files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def first_difference(a: bytes, b: bytes, width: int = 90) -> str:
    """Where two files first differ: the line number and the text around the first differing
    character of that line (or the first differing byte of binaries)."""
    try:
        left, right = a.decode("utf-8").splitlines(), b.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        return f"    binary, first difference at byte {at} (sizes {len(a)} and {len(b)})"
    line = next((i for i, (x, y) in enumerate(zip(left, right, strict=False)) if x != y), None)
    if line is None:
        return f"    one is longer: {len(left)} lines against {len(right)}"
    x, y = left[line], right[line]
    at = next((i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), min(len(x), len(y)))
    start = max(0, at - width // 2)
    before, after = x[start : at + width], y[start : at + width]
    return f"    line {line + 1}, column {at + 1}:\n    - {before!r}\n    + {after!r}"


def compare(before: Path, after: Path, show: int = 20) -> int:
    """Print how `after` differs from `before`; 0 when identical after normalisation."""
    left, right = site_files(before), site_files(after)
    only_before = sorted(set(left) - set(right))
    only_after = sorted(set(right) - set(left))
    differing: list[str] = []
    normalised: list[str] = []
    for name in sorted(set(left) & set(right)):
        a, b = left[name].read_bytes(), right[name].read_bytes()
        if a == b:
            continue
        if normalise(name, a) == normalise(name, b):
            normalised.append(name)
        else:
            differing.append(name)
    common = len(set(left) & set(right))
    print(f"{before} vs {after}: {common} files in both, {len(normalised)} equal only after normalisation")
    for name in normalised:
        print(f"  normalised: {name}")
    for label, names in (("only in before", only_before), ("only in after", only_after)):
        for name in names[:show]:
            print(f"  {label}: {name}")
        if len(names) > show:
            print(f"  ... and {len(names) - show} more {label}")
    for name in differing[:show]:
        print(f"  DIFFERS: {name}")
        print(
            first_difference(
                normalise(name, left[name].read_bytes()), normalise(name, right[name].read_bytes())
            )
        )
    if len(differing) > show:
        print(f"  ... and {len(differing) - show} more differing files")
    same = not (only_before or only_after or differing)
    print("IDENTICAL (after normalisation)" if same else f"DIFFERENT: {len(differing)} files differ, "
          f"{len(only_before)} only before, {len(only_after)} only after")  # fmt: skip
    return 0 if same else 1


def build(code: Path, config: Path, out: Path, generator: str, python: str, strict: bool) -> int:
    """Build the site of `config` with the techpath of `code` into `out` (log in OUT.log)."""
    code, config, out = code.resolve(), config.resolve(), out.resolve()
    if not (code / "src" / "techpath").is_dir():
        raise SystemExit(f"{code}: not a checkout of techpath (no src/techpath)")
    if out.exists():
        shutil.rmtree(out)
    cache = Path(tempfile.mkdtemp(prefix="compare-builds-cache-"))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TECHPATH_REFRESH", "TECHPATH_GENERATOR", "PYTHONPATH")
    }
    env.update(
        PYTHONPATH=str(code / "src"),
        TECHPATH_CACHE_DIR=str(cache),
        TECHPATH_KEEP_WARM="0",
        NO_MKDOCS_2_WARNING="1",
    )
    command = [python, "-m", "techpath.cli", "build", "-f", str(config), "-g", generator, "-d", str(out)]
    if strict:
        command.append("--strict")
    log = out.with_name(out.name + ".log")
    where = subprocess.run(
        [python, "-c", "import techpath; print(techpath.__file__)"], env=env, capture_output=True, text=True
    ).stdout.strip()
    if not where.startswith(str(code / "src")):
        raise SystemExit(f"{python} imports techpath from {where}, not from {code}/src")
    try:
        with log.open("w", encoding="utf-8") as stream:
            status = subprocess.call(
                command, cwd=config.parent, env=env, stdout=stream, stderr=subprocess.STDOUT
            )
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(f"built {config} with {code}/src ({generator}) into {out}: exit {status}, log {log}")
    return status


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["build"]:
        parser = argparse.ArgumentParser(
            prog="compare_builds.py build", description="build a site with a checkout"
        )
        parser.add_argument("--code", type=Path, required=True, help="checkout whose src/techpath builds")
        parser.add_argument("--config", "-f", type=Path, required=True, help="the site's mkdocs.yml")
        parser.add_argument("--out", "-d", type=Path, required=True, help="where the site goes")
        parser.add_argument(
            "--generator", "-g", default="mkdocs", choices=["mkdocs", "properdocs", "zensical"]
        )
        parser.add_argument("--python", default=sys.executable, help="interpreter (default: this one)")
        parser.add_argument("--strict", action="store_true")
        args = parser.parse_args(argv[1:])
        return build(args.code, args.config, args.out, args.generator, args.python, args.strict)
    parser = argparse.ArgumentParser(prog="compare_builds.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--show", type=int, default=20, help="list at most this many files per kind")
    if "--rules" in argv:
        for rule in RULES:
            print(f"{rule.pattern.pattern}\n    {rule.why}")
        return 0
    args = parser.parse_args(argv)
    return compare(args.before, args.after, args.show)


if __name__ == "__main__":
    sys.exit(main())
