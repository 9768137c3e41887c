"""The GitHub workflows parse, trigger as intended, keep tokens read-only, and run only
commands that exist in this repository."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from techpath.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def run_lines(workflow: dict) -> list[str]:
    return [
        line
        for job in workflow["jobs"].values()
        for step in job["steps"]
        for line in step.get("run", "").splitlines()
    ]


def test_ci_runs_on_pull_requests_and_pushes_read_only() -> None:
    ci = load("ci.yml")
    assert set(ci["on"]) == {"pull_request", "push"}
    assert ci["permissions"] == {"contents": "read"}
    steps = [s.get("run", "") for s in ci["jobs"]["test"]["steps"]]
    assert any("make test" in s for s in steps) and any("make build" in s for s in steps)
    assert any("GITHUB_STEP_SUMMARY" in s for s in steps)
    assert any(s.get("uses", "").startswith("actions/upload-artifact") for s in ci["jobs"]["test"]["steps"])


def test_no_workflow_uses_pull_request_target_or_secrets() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        assert "pull_request_target" not in load(path.name)["on"], path.name
        assert "secrets." not in path.read_text(), path.name


def test_pages_deploys_only_from_main() -> None:
    pages = load("pages.yml")
    assert pages["on"]["push"]["branches"] == ["main"]
    assert pages["permissions"] == {"contents": "read"}
    for job in pages["jobs"].values():
        assert job["if"] == "github.ref == 'refs/heads/main'"
    assert pages["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    # the build runs every post's code: bounded like every other job (issue 30)
    assert all(isinstance(job.get("timeout-minutes"), int) for job in pages["jobs"].values())


def test_canary_is_weekly_manual_and_uses_newest_libraries() -> None:
    canary = load("canary.yml")
    assert "schedule" in canary["on"] and "workflow_dispatch" in canary["on"]
    assert canary["permissions"] == {"contents": "read"}
    runs = "\n".join(run_lines(canary))
    assert "pip install --upgrade scikit-learn numpy matplotlib pandas" in runs
    assert "techpath check --refresh --report" in runs


def test_every_command_the_workflows_run_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    subcommands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    for path in WORKFLOWS.glob("*.yml"):
        for line in run_lines(load(path.name)):
            for target in re.findall(r"\bmake ([a-z-]+)", line):
                assert target in targets, f"{path.name}: make {target}"
            for command in re.findall(r"\.venv/bin/techpath ([a-z]+)", line):
                assert command in subcommands, f"{path.name}: techpath {command}"


def test_pre_commit_hooks_call_existing_commands() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    subcommands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    for hook in config["repos"][0]["hooks"]:
        entry = hook["entry"].split()
        assert entry[0].startswith(".venv/bin/")
        if entry[0].endswith("techpath"):
            assert entry[1] in subcommands


def test_sharded_build_is_off_by_default_and_covers_every_shard() -> None:
    jobs = load("ci.yml")["jobs"]
    shard, build = jobs["shard"], jobs["sharded-build"]
    # Off unless the repository variable turns it on; the ordinary test job never depends on it.
    assert shard["if"] == build["if"] == "vars.TECHPATH_SHARDS == 'true'"
    assert "if" not in jobs["test"]
    shards = shard["strategy"]["matrix"]["shard"]
    runs = "\n".join(s.get("run", "") for s in shard["steps"])
    total = int(re.search(r"--shard \$\{\{ matrix.shard \}\}/(\d+)", runs).group(1))  # type: ignore[union-attr]
    assert sorted(shards) == list(range(1, total + 1))
    assert build["needs"] == "shard"
    download = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"]["merge-multiple"] is True
    upload = next(s for s in shard["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == download["with"]["path"]
    assert any("make build" in s.get("run", "") for s in build["steps"])


_PINNED = re.compile(
    r"^\s*-?\s*uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>\S+)(?P<comment>\s+#\s*(?P<tag>\S+))?\s*$"
)


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment() -> None:
    seen = 0
    for path in WORKFLOWS.glob("*.yml"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "uses:" not in line:
                continue
            match = _PINNED.match(line)
            assert match, f"{path.name}:{number}: cannot read the action reference: {line.strip()}"
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), f"{path.name}:{number}: not a commit SHA"
            assert match["tag"] and re.fullmatch(r"v\d+\.\d+\.\d+", match["tag"]), (
                f"{path.name}:{number}: name the release in a comment: # vX.Y.Z"
            )
            seen += 1
    assert seen >= 10


def test_checkout_never_keeps_the_token_and_npm_runs_no_install_scripts() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        for job in load(path.name)["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, path.name
    makefile = (ROOT / "Makefile").read_text()
    npm_lines = [line for line in makefile.splitlines() if "npm ci" in line or "npm install" in line]
    assert npm_lines and all("--ignore-scripts" in line for line in npm_lines)


def _tool(name: str) -> str:
    binary = Path(sys.executable).with_name(name)
    assert binary.exists(), f"{name} is not in the virtual environment; run `make venv` (it is in the lock)"
    return str(binary)


def test_zizmor_finds_nothing() -> None:
    """GitHub Actions security audit (offline: no API calls), every finding counts."""
    done = subprocess.run(
        [_tool("zizmor"), "--offline", "--format", "json", str(WORKFLOWS)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    findings = json.loads(done.stdout or "[]")
    listed = "\n".join(f"{f['ident']}: {f['desc']}" for f in findings)
    assert findings == [], f"zizmor findings:\n{listed}\n{done.stderr}"
    assert done.returncode == 0, done.stderr


def test_actionlint_finds_nothing() -> None:
    done = subprocess.run(
        [_tool("actionlint"), "-format", "{{json .}}"], capture_output=True, text=True, cwd=ROOT
    )
    findings = json.loads(done.stdout or "[]")
    listed = "\n".join(f"{f['filepath']}:{f['line']}: {f['message']}" for f in findings)
    assert findings == [], f"actionlint findings:\n{listed}\n{done.stderr}"
    assert done.returncode == 0, done.stderr


def test_pull_requests_diff_against_main_and_cannot_write_the_baseline() -> None:
    ci = load("ci.yml")
    steps = ci["jobs"]["test"]["steps"]
    assert ci["jobs"]["test"]["permissions"] == {"contents": "read", "actions": "read"}
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "techpath check --results techpath-results.json" in runs
    keep = next(s for s in steps if s.get("name") == "Keep the result snapshot")
    assert keep["with"]["name"] == "techpath-results"
    find = next(s for s in steps if s.get("id") == "baseline")
    assert find["if"] == "github.event_name == 'pull_request'"
    assert "scripts/main_results_run.py ci.yml" in find["run"]  # only pushes to main (tests/test_scripts.py)
    download = next(s for s in steps if s.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"]["run-id"] == "${{ steps.baseline.outputs.run-id }}"
    diff = next(s for s in steps if ".venv/bin/techpath diff" in s.get("run", ""))
    assert "GITHUB_STEP_SUMMARY" in diff["run"] and "--html" in diff["run"]
    assert (ROOT / "scripts" / "main_results_run.py").is_file()


def test_canary_diffs_newest_libraries_against_the_lock() -> None:
    canary = load("canary.yml")
    runs = "\n".join(run_lines(canary))
    assert runs.index("--results lock-results.json") < runs.index("pip install --upgrade")
    assert "--results newest-results.json" in runs
    assert "techpath diff lock-results.json newest-results.json --label" in runs
    assert "scripts/version_label.py" in runs


def test_release_publishes_tags_with_trusted_publishing_and_no_token() -> None:
    release = load("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {"contents": "read"}
    build, publish = release["jobs"]["build"], release["jobs"]["publish"]
    runs = "\n".join(run_lines({"jobs": {"build": build}}))
    assert "twine check --strict dist/*" in runs and "tests/test_package.py" in runs
    assert "permissions" not in build  # OIDC only where it is used
    assert publish["needs"] == "build" and publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    step = next(s for s in publish["steps"] if s.get("uses", "").startswith("pypa/gh-action-pypi-publish@"))
    assert not {"password", "user"} & set(step.get("with", {}))
    text = (WORKFLOWS / "release.yml").read_text()
    assert "password:" not in text and "secrets." not in text
    assert not re.search(r"(?i)\w*token\w*:\s*\$\{\{", text)  # no token passed in from anywhere
