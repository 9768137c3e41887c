"""Result snapshots: one JSON file holding every page's outputs, portable between machines.

Paths are the posts' display paths (relative to the repository), figures are embedded (base64)
with their SHA-256, so a snapshot made on a CI runner compares with one made on a laptop.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from techpath.model import PageResult, Post

FORMAT = 1


def page_snapshot(result: PageResult, post: Post | None = None) -> dict[str, Any]:
    lines = {b.index: b.line for b in post.blocks} if post is not None else {}
    cells = {b.index: b.cell for b in post.blocks} if post is not None else {}
    sources = {b.index: b.source for b in post.blocks} if post is not None else {}
    blocks = []
    for block in result.blocks:
        outputs: list[dict[str, Any]] = []
        for output in block.outputs:
            if output.kind == "figure":
                raw = _figure_bytes(result, output.data.get("file", ""))
                outputs.append(
                    {
                        "kind": "figure",
                        "format": output.data.get("format", ""),
                        "sha256": hashlib.sha256(raw).hexdigest(),
                        "data": base64.b64encode(raw).decode("ascii"),
                        "alt": output.data.get("alt", ""),
                    }
                )
            elif output.kind == "stream":
                outputs.append({"kind": "text", "name": output.name, "text": output.text})
            elif output.kind in ("result", "display"):
                outputs.append(
                    {"kind": "text", "name": output.kind, "text": output.data.get("text/plain", "")}
                )
            else:
                outputs.append({"kind": output.kind, "text": output.text})
        blocks.append(
            {
                "index": block.index,
                "line": lines.get(block.index, 0),
                "cell": cells.get(block.index),
                **({"source": sources[block.index]} if block.index in sources else {}),
                "status": block.status,
                "error": block.error.headline() if block.error else "",
                "error_type": block.error.type if block.error else "",
                "outputs": outputs,
            }
        )
    inline_lines = {i.index: i for i in post.inline} if post is not None else {}
    inline = []
    for value in result.inline:
        expr = inline_lines.get(value.index)
        inline.append(
            {
                "index": value.index,
                "line": expr.line if expr else 0,
                "source": expr.source if expr else "",
                "status": value.status,
                "text": value.text,
                "value": value.value,
                "error": value.error.headline() if value.error else "",
            }
        )
    return {
        "path": result.path,
        "status": "ok" if result.ok else "failed",
        "duration": round(result.duration, 3),
        "versions": result.versions,
        "blocks": blocks,
        "inline": inline,
    }


def _figure_bytes(result: PageResult, name: str) -> bytes:
    path = Path(result.figure_dir) / name if result.figure_dir and name else None
    return path.read_bytes() if path is not None and path.is_file() else b""


def write_snapshot(path: Path, results: dict[str, PageResult], posts: dict[str, Post] | None = None) -> None:
    posts = posts or {}
    pages = {key: page_snapshot(r, posts.get(key)) for key, r in sorted(results.items())}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": FORMAT, "pages": pages}, indent=1) + "\n", encoding="utf-8")


def read_snapshot(path: Path) -> dict[str, Any]:
    """The snapshot's pages; ValueError naming the file when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a result snapshot ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("pages"), dict):
        raise ValueError(
            f"{path}: not a result snapshot of format {FORMAT} (write one with techpath check --results)"
        )
    return data["pages"]
