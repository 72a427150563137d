"""The ``tiktok-research`` command line: every tool and pipeline step as a command.

With ``--json`` a command prints exactly one JSON document on stdout; without
it, text for people. Exit codes: 0 ok, 1 failed, 2 bad usage or input (and,
for ``import``, 3 when some rows were rejected).
"""

from __future__ import annotations

import typer

from . import advice, analysis, collect, data, demo, emulator, tools

app = typer.Typer(
    name="tiktok-research",
    help="Design, collect, analyse and responsibly report TikTok studies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for group in (data.app, collect.app, analysis.app, demo.app, advice.app, tools.app):
    app.registered_commands += group.registered_commands
    app.registered_groups += group.registered_groups
app.add_typer(emulator.app, name="emulator")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
