"""typer's own words in Norwegian, from the catalogue (``help`` and ``usage`` in cli.yaml).

typer 0.29 carries its own copy of click without gettext, so its words are set where typer lets
them be set: the rich help panel titles and fixed strings are module settings of
``typer.rich_utils``, the usage line, the help option and the usage errors belong to the command
classes, which typer takes as ``cls``. Usage errors are worded here from the exception's own
parameters (the option, the argument, the suggestions), never from click's English message.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from typing import Any

from typer import rich_utils
from typer._click import exceptions as click_errors  # typer's own click (public names re-exported there)
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import Abort

from workbook.cli.common import err, say
from workbook.cli.common import text  # the catalogue, in the CLI's language

for _setting, _key in (("ARGUMENTS_PANEL_TITLE", "arguments_title"), ("OPTIONS_PANEL_TITLE", "options_title"),
                       ("COMMANDS_PANEL_TITLE", "commands_title"), ("ERRORS_PANEL_TITLE", "error_title"),
                       ("DEFAULT_STRING", "default"), ("REQUIRED_LONG_STRING", "required"),
                       ("DEPRECATED_STRING", "deprecated"), ("ENVVAR_STRING", "envvar"),
                       ("ABORTED_TEXT", "aborted"), ("RICH_HELP", "try_help_rich")):
    setattr(rich_utils, _setting, text(f"help.{_key}"))


class Refused(click_errors.UsageError):
    """A usage error already worded from the catalogue."""


class _Localized:
    """The usage line and the help option in Norwegian (mixed into typer's command classes)."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=text("help.usage") + " ")

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help, option.metavar = text("help.help_option"), ""
        return option


class Command(_Localized, TyperCommand):
    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for param in self.params:  # an argument's metavariable says what it takes; no <list[str]> beside it
            if param.param_type_name == "argument":
                param.display_type_rich = _no_type

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.allow_extra_args = True  # to word the error ourselves
        rest = super().parse_args(ctx, args)
        if ctx.args and not ctx.resilient_parsing:
            raise Refused(text("usage.extra_arguments", arguments=" ".join(ctx.args)), ctx)
        return rest


class Group(_Localized, TyperGroup):
    def __init__(self, **attrs: Any) -> None:
        if attrs.get("subcommand_metavar") is None:
            attrs["subcommand_metavar"] = text("help.subcommand_metavar")
        super().__init__(**attrs)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0]
        if self.get_command(ctx, name) is None and not name.startswith("-") and not ctx.resilient_parsing:
            close = difflib.get_close_matches(name, list(self.commands))
            message = text("usage.no_such_command", name=name)
            raise Refused(message + (" " + text("usage.did_you_mean", names=_names(close)) if close else ""), ctx)
        return super().resolve_command(ctx, args)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, windows_expand_args: bool = True,
             **extra: Any) -> Any:
        # Patterns in PATH arguments are expanded by the commands themselves, on every system.
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, windows_expand_args=False,
                                **extra)
        except click_errors.ClickException as error:
            code = show_usage_error(error, self)
        except Abort:
            say(err, text("help.aborted"))
            code = 1
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def _no_type(ctx: Any) -> None:
    return None


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"«{name}»" for name in sorted(names))


def _param_name(param: Any) -> str:
    if param is None:
        return ""
    if param.param_type_name == "argument":
        return f"«{param.metavar or param.name.upper()}»"
    return " / ".join(f"«{opt}»" for opt in param.opts)


def _is_flag(group: Any, name: str) -> bool:
    """Whether option ``name`` is a flag (the parser raises its errors without a context)."""
    params = [p for command in [group, *group.commands.values()] for p in command.params]
    options = [p for p in params if name in p.opts or name in p.secondary_opts]
    return bool(options) and all(getattr(p, "is_flag", False) for p in options)


def describe(error: click_errors.ClickException, group: Any) -> str:
    """A usage error in the catalogue's words, from the exception's parameters."""
    if isinstance(error, Refused):
        return error.message
    if isinstance(error, click_errors.MissingParameter):
        kind = error.param_type or (error.param.param_type_name if error.param is not None else "")
        return text("usage.missing_option" if kind == "option" else "usage.missing_argument",
                    name=_param_name(error.param))
    if isinstance(error, click_errors.NoSuchOption):
        message = text("usage.no_such_option", option=error.option_name)
        if error.possibilities:
            message += " " + text("usage.did_you_mean", names=_names(error.possibilities))
        return message
    if isinstance(error, click_errors.BadOptionUsage):
        flag = _is_flag(group, error.option_name)
        return text("usage.takes_no_value" if flag else "usage.needs_value", option=error.option_name)
    if isinstance(error, click_errors.BadParameter):
        return text("usage.bad_value", name=_param_name(error.param))
    return text("usage.generic")


def show_usage_error(error: click_errors.ClickException, group: Any) -> int:
    """Print a usage error (the usage line, where to find help, the error) and return its exit code."""
    if isinstance(error, click_errors.NoArgsIsHelpError):
        return error.exit_code  # the help is already printed
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        for line in ctx.get_usage().splitlines():
            say(err, line)
        say(err, text("usage.try_help", command=ctx.command_path))
    say(err, text("cli.error", message=describe(error, group)))
    return error.exit_code
