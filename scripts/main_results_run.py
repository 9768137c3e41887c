"""Print the id of the newest successful push run of CI on main: the run whose `techpath-results`
artifact a pull request compares against. Prints nothing when there is none yet.

Only runs triggered by a push to main of this repository count, so nothing a pull request (from
a fork or not) uploads can become the baseline. Usage in a workflow step, with GITHUB_TOKEN,
GITHUB_REPOSITORY and GITHUB_API_URL set: `python scripts/main_results_run.py ci.yml`.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from typing import Any


def choose_run(payload: dict[str, Any], repository: str, branch: str = "main") -> int | None:
    """The newest run that was a successful push to `branch` of `repository` itself."""
    runs = [
        run
        for run in payload.get("workflow_runs", [])
        if run.get("event") == "push"
        and run.get("head_branch") == branch
        and run.get("conclusion") == "success"
        and (run.get("head_repository") or {}).get("full_name") == repository
    ]
    runs.sort(key=lambda run: run.get("created_at", ""), reverse=True)
    return int(runs[0]["id"]) if runs else None


def fetch_runs(workflow: str, repository: str, token: str, api: str) -> dict[str, Any]:
    query = "branch=main&event=push&status=success&per_page=20"
    url = f"{api}/repos/{repository}/actions/workflows/{workflow}/runs?{query}"
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def main(argv: list[str]) -> int:
    workflow = argv[1] if len(argv) > 1 else "ci.yml"
    repository = os.environ["GITHUB_REPOSITORY"]
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    run = choose_run(fetch_runs(workflow, repository, os.environ["GITHUB_TOKEN"], api), repository)
    if run is not None:
        print(run)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
