"""Print which library versions differ between two result snapshots, for the canary's summary:
`scikit-learn 1.8.0 → 1.9.0, numpy 2.4.6 → 2.5.0`. Usage: python scripts/version_label.py BASE HEAD
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def versions(snapshot: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for page in snapshot.get("pages", {}).values():
        found.update(page.get("versions") or {})
    return found


def label(base: dict[str, Any], head: dict[str, Any]) -> str:
    old, new = versions(base), versions(head)
    moved = [
        f"{name} {old.get(name, 'none')} → {new.get(name, 'none')}"
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]
    return ", ".join(moved) if moved else "same library versions"


def main(argv: list[str]) -> int:
    base, head = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv[1:3])
    print(label(base, head))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
