"""CLI commands generated from agent tools: options, help, choices and defaults come from the
tool's ``Input`` model, so the command line cannot drift from what the tool validates."""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..errors import UsageError
from ..tools import Tool, ToolContext
from .common import emit, guarded

#: names the command line gives the context; no tool field may take them
RESERVED = {"as_json"}


def _choices(annotation: Any) -> tuple[str, ...]:
    """The string choices of a Literal (or a list or optional of one)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(a for a in args if isinstance(a, str))
    for a in args:
        if a is not type(None):
            found = _choices(a)
            if found:
                return found
    return ()


def help_text(f: FieldInfo) -> str:
    """An option's help: the field's description, its choices if it has some."""
    text = f.description or ""
    choices = _choices(f.annotation)
    if choices:
        text += f" Choices: {', '.join(choices)}."
    return text


def _cli_type(annotation: Any) -> Any:
    """The type typer parses (dates and Literals as text: the model checks them)."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Literal:
        return str
    if origin is list:
        return list[_cli_type(args[0])] if args else list[str]  # type: ignore[misc]
    if origin in (typing.Union, types.UnionType):
        inner = _cli_type(args[0]) if len(args) == 1 else str
        return inner | None
    if annotation is date or _is_model(annotation):
        return str
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _structured(value: str, option: str) -> Any:
    """A nested input from the command line: a YAML/JSON file, or inline JSON."""
    path = Path(value)
    try:
        if path.suffix.lower() in (".yaml", ".yml", ".json") or path.exists():
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        return yaml.safe_load(value)
    except FileNotFoundError:
        raise UsageError(f"{option}: no such file {value!r}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{option}: not valid YAML or JSON ({exc})") from None


def tool_command(
    tool: Tool,
    *,
    arguments: tuple[str, ...] = (),
    names: Mapping[str, str] | None = None,
    skip: tuple[str, ...] = (),
    render: Callable[[Any], str] | None = None,
    summary: str | None = None,
) -> Callable[..., None]:
    """A typer command running ``tool``: one option per input field (``--field-name``, or the
    name in ``names``), ``arguments`` positional; ``--json`` prints the output model."""
    names = names or {}
    params = []
    nested = {n for n, f in tool.input.model_fields.items() if _is_model(f.annotation)}
    for name, f in tool.input.model_fields.items():
        if name in skip:
            continue
        assert name not in RESERVED, f"{tool.name}.{name} clashes with a CLI option"
        kind = _cli_type(f.annotation)
        repeatable = typing.get_origin(kind) is list
        required = f.is_required()
        default = None if f.default_factory is not None else f.default
        if not required and default is None and typing.get_origin(kind) is not types.UnionType:
            kind = kind | None
        if name in arguments:
            info: Any = typer.Argument(help=help_text(f))
        else:
            flag = names.get(name, "--" + name.replace("_", "-"))
            suffix = " (repeatable)" if repeatable else ""
            extra = " (a YAML or JSON file, or inline JSON)" if name in nested else ""
            info = typer.Option(flag, help=help_text(f) + extra + suffix)
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[kind, info],
                default=inspect.Parameter.empty if required else default,
            )
        )
    params.append(
        inspect.Parameter(
            "as_json",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[
                bool, typer.Option("--json", help="Print one JSON document on stdout.")
            ],
            default=False,
        )
    )

    flags = {
        name: names.get(name, "--" + name.replace("_", "-"))
        for name in tool.input.model_fields
        if name not in arguments
    }

    def command(**kw: Any) -> None:
        as_json = kw.pop("as_json")
        data = {k: v for k, v in kw.items() if v is not None}
        for k in nested & set(data):
            data[k] = _structured(data[k], flags[k])
        try:
            out = tool.call(data, ToolContext.from_env())
        except UsageError as exc:
            # speak the command line's language: --since, not period_start
            text = str(exc)
            for field_name, flag in sorted(flags.items(), key=lambda x: -len(x[0])):
                # a field named before its message, or a name no prose uses (with a _)
                after = "(?=:)" if "_" not in field_name else "(?![\\w-])"
                text = re.sub(rf"(?<![\w-]){field_name}{after}", flag, text)
            raise UsageError(text) from None
        emit(out, as_json, render(out) if render else getattr(out, "text", None))

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = summary or tool.title + "."
    command.__name__ = tool.name
    return guarded(command)
