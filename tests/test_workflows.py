"""The GitHub workflows parse, trigger as intended, keep tokens read-only, and run only
commands that exist in this repository."""

from __future__ import annotations

import re
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
