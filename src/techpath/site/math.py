"""Typeset the TeX that pymdownx.arithmatex leaves in the HTML, at build time, with KaTeX.

Rendering on the server means the reader's browser runs no math script at all: formulas are
finished HTML (plus MathML for screen readers) before the page is sent, so they look right in a
box that starts collapsed and after Material's instant navigation swaps the page.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_SCRIPT = Path(__file__).with_name("katex_render.cjs")
# KaTeX shipped inside the wheel: script, stylesheet and woff2 fonts (see docs/design.md, "Math typesetter").
BUNDLED_KATEX = Path(__file__).with_name("katex")
_QJS_RENDER = """(function (tex, display) {
  try {
    return JSON.stringify({html: katex.renderToString(tex, {displayMode: display,
      output: "htmlAndMathml", throwOnError: true, strict: "ignore"})});
  } catch (err) { return JSON.stringify({error: String(err && err.message ? err.message : err)}); }
})"""
# arithmatex "generic" output: inline \( .. \) in a span, display \[ .. \] in a div.
_MATH = re.compile(r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>', re.DOTALL)


@dataclass(frozen=True)
class MathError:
    """A formula KaTeX could not typeset."""

    tex: str
    message: str


def find_node() -> str:
    """The Node.js binary: the one installed in this virtual environment first, then PATH."""
    beside_python = Path(sys.executable).with_name("node")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("node")
    if found is None:
        raise RuntimeError(
            "Node.js is needed to typeset math; install the project with `make` "
            "(or install `quickjs`, which runs KaTeX in-process)."
        )
    return found


class MathRenderer:
    """Renders TeX with KaTeX in one long-lived Node process; remembers formulas already seen.

    With `memo_file`, typeset formulas are also kept between builds: a build whose formulas were
    all seen before never starts Node. The file is tied to the KaTeX version and to our render
    script, and holds the formulas of the last build only, so it never grows without bound.
    """

    def __init__(self, katex_dir: Path, node: str | None = None, memo_file: Path | None = None) -> None:
        if not (katex_dir / "package.json").exists() and not (katex_dir / "VERSION").exists():
            katex_dir = BUNDLED_KATEX  # the site has no KaTeX of its own: the one in the wheel
        self.katex_dir = katex_dir
        self._quickjs = None
        if node is None:
            try:
                import quickjs

                context = quickjs.Context()
                context.eval(_katex_script(katex_dir).read_text(encoding="utf-8"))
                self._quickjs = context.eval(_QJS_RENDER)
            except ImportError:
                pass
        self._node = node
        self._process: subprocess.Popen[str] | None = None
        self._memo: dict[tuple[str, bool], tuple[str | None, str | None]] = {}
        self._stored: dict[tuple[str, bool], tuple[str | None, str | None]] = {}
        self._memo_file = memo_file
        self._version = _renderer_version(katex_dir)
        if memo_file is not None:
            self._stored = _load_memo(memo_file, self._version)
        self.missing: str | None = None
        if node is None and self._quickjs is None and not self._stored:
            try:
                self._node = find_node()
            except RuntimeError:
                self.missing = (
                    "techpath: no math typesetter (install `quickjs`, a dependency of techpath); "
                    "math is left as TeX source"
                )
                print(self.missing, file=sys.stderr)

    def render_formula(self, tex: str, display: bool) -> tuple[str | None, str | None]:
        """Return (html, None) or (None, error message)."""
        key = (tex, display)
        if key not in self._memo:
            if key in self._stored:
                self._memo[key] = self._stored[key]
            else:
                answer = self._ask({"tex": tex, "display": display})
                self._memo[key] = (answer.get("html"), answer.get("error"))
        return self._memo[key]

    def render_html(self, page_html: str) -> tuple[str, list[MathError]]:
        """Replace every arithmatex element in `page_html` with typeset math."""
        errors: list[MathError] = []
        if self.missing is not None:
            return page_html, errors

        def replace(match: re.Match[str]) -> str:
            body = html.unescape(match["body"]).strip()
            display = match["tag"] == "div"
            tex = _strip_delimiters(body)
            rendered, error = self.render_formula(tex, display)
            if error is not None:
                errors.append(MathError(tex, error))
                return (
                    f'<code class="techpath-math-error" title="{html.escape(error)}">{match["body"]}</code>'
                )
            return rendered if not display else f'<div class="techpath-math">{rendered}</div>'

        return _MATH.sub(replace, page_html), errors

    def close(self) -> None:
        if self._memo_file is not None and self._memo and self._memo != self._stored:
            _store_memo(self._memo_file, self._version, self._memo)
            self._stored = dict(self._memo)
        if self._process is not None:
            self._process.stdin.close()  # type: ignore[union-attr]
            self._process.wait(timeout=10)
            self._process.stdout.close()  # type: ignore[union-attr]
            self._process = None

    def _ask(self, request: dict[str, object]) -> dict[str, str]:
        if self._quickjs is not None:
            return json.loads(self._quickjs(request["tex"], bool(request["display"])))
        if self._process is None:
            self._node = self._node or find_node()
            self._process = subprocess.Popen(
                [self._node, str(_SCRIPT), str(self.katex_dir.resolve())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the KaTeX process ended unexpectedly (exit {self._process.poll()})")
        return json.loads(line)


def _renderer_version(katex_dir: Path) -> str:
    """What typeset output depends on besides the TeX: KaTeX's version and our script."""
    manifest = katex_dir / "package.json"
    digest = hashlib.sha256(
        manifest.read_bytes() if manifest.exists() else (katex_dir / "VERSION").read_bytes()
    )
    digest.update(_SCRIPT.read_bytes())
    digest.update(_QJS_RENDER.encode())
    return digest.hexdigest()


def _load_memo(path: Path, version: str) -> dict[tuple[str, bool], tuple[str | None, str | None]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != version:
            return {}
        return {(tex, bool(display)): (out, error) for tex, display, out, error in data["formulas"]}
    except (OSError, ValueError, TypeError, KeyError):  # missing or damaged: typeset again
        return {}


def _store_memo(
    path: Path, version: str, memo: dict[tuple[str, bool], tuple[str | None, str | None]]
) -> None:
    formulas = [[tex, display, out, error] for (tex, display), (out, error) in memo.items()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        scratch.write_text(json.dumps({"version": version, "formulas": formulas}), encoding="utf-8")
        os.replace(scratch, path)  # readers see the old file or the new one, never half
    except OSError:
        pass  # a read-only cache: the next build typesets again


def _strip_delimiters(body: str) -> str:
    for opening, closing in (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$"), ("$", "$")):
        if body.startswith(opening) and body.endswith(closing):
            return body[len(opening) : len(body) - len(closing)].strip()
    return body


def _katex_script(katex_dir: Path) -> Path:
    return (
        katex_dir / "dist" / "katex.min.js" if (katex_dir / "dist").is_dir() else katex_dir / "katex.min.js"
    )


def katex_asset_paths(katex_dir: Path) -> dict[str, Path]:
    """Files the pages need at reading time: the stylesheet and its fonts (site path -> source)."""
    if not (katex_dir / "dist").is_dir() and not (katex_dir / "VERSION").exists():
        katex_dir = BUNDLED_KATEX
    dist = katex_dir / "dist" if (katex_dir / "dist").is_dir() else katex_dir
    assets = {"assets/katex/katex.min.css": dist / "katex.min.css"}
    for font in sorted((dist / "fonts").iterdir()):
        assets[f"assets/katex/fonts/{font.name}"] = font
    return assets
