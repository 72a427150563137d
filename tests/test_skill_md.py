"""SKILL.md as OpenClaw reads it: AgentSkills frontmatter within the spec's limits, and every
command its body names exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer.main
import yaml

from tiktok_research.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _parts() -> tuple[dict, str]:
    text = (ROOT / "SKILL.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def test_frontmatter_follows_the_agentskills_spec():
    meta, body = _parts()
    name = meta["name"]
    assert name == "tiktok-research" and 1 <= len(name) <= 64
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert 1 <= len(meta["description"]) <= 1024
    assert len(meta["description"]) <= 300, "keep the description short: it costs prompt budget"
    assert "Use when" in meta["description"]
    oc = meta["metadata"]["openclaw"]
    assert oc["requires"]["bins"] == ["tiktok-research"] and oc["emoji"]
    assert "env" not in oc["requires"], "no variable is required (demo and advice need none)"
    assert oc["install"] == [
        {"kind": "uv", "package": "tiktok-research", "bins": ["tiktok-research"]}
    ]
    assert len(body.splitlines()) < 500


def _commands(body: str) -> list[list[str]]:
    """The subcommand path of every `tiktok-research ...` the body names."""
    root = typer.main.get_command(app)
    found = []
    # a command starts a line of a code block or an inline code span
    for line in re.findall(r"(?:^|`)(tiktok-research [^`|\n]*)", body, re.M):
        words = shlex.split(line.split(">")[0], posix=True)[1:]
        path, group = [], root
        for w in words:
            if w in getattr(group, "commands", {}):
                path.append(w)
                group = group.commands[w]
            else:
                break
        assert path, f"SKILL.md names an unknown command: {line!r}"
        found.append(path)
    return found


def test_every_command_the_body_names_has_help(cli):
    _, body = _parts()
    commands = _commands(body)
    assert len(commands) > 15
    for path in {tuple(p) for p in commands}:
        out = cli(*path, "--help")
        assert "Usage" in out.stdout, path


def test_every_tool_is_named_in_the_body():
    from tiktok_research.tools import TOOLS

    _, body = _parts()
    missing = [n for n in TOOLS if f"`{n}`" not in body]
    assert not missing, missing
