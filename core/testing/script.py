"""The sandbox's line syntax: parse a typed or scripted line, and type slash-command options.

One line is one action (see :data:`GRAMMAR`, also shown by the sandbox's ``help``)::

    /bet straight league:NFL game:"Jets @ Bills" market:moneyline odds:-110 units:1
    ?/bet straight league:N        # list the bot's autocomplete choices for the last option
    press 2 | press "Place parlay" # a button, by number or label
    choose 3 | choose NFL NBA      # option(s) of a select menu, by number, label or value
    pick 2                         # numbered item(s): a button, or menu option(s)
    modal stake:2 note:"why not"   # fill in and submit the form the bot opened
    as Bob | in picks              # act as another member / in another channel
    # a comment                    # shown in the transcript, does nothing

Quoting: a double-quoted part (``"two words"``) keeps spaces and colons; inside it ``\\"`` is a
quote and ``\\\\`` a backslash. Nothing else is special, so ``note:Don't`` needs no quotes.
"""

from __future__ import annotations

import math
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.testing.driver import Attachment

GRAMMAR = """\
  /command [group] [sub] option:value ...   run a slash command
      values with spaces or colons in double quotes: team:"New York Jets"
      members, channels, roles by name (Bob, #picks, @Managers); files by path
  ?/command [sub] option:text ...           show the bot's autocomplete choices for
                                            the last option given
  press <n | label>                         press a button of the latest message
  choose <n | label> [...]                  choose option(s) in the latest menu
  pick <n> [...]                            a numbered item: a button or menu option(s)
  modal field:value ...                     fill in and submit the form the bot opened
  as <member>                               act as another member (Owner, Alice, Bob)
  in <channel>                              act in another channel (general, picks)
  help [/command]                           this help, or a command's options
  # text                                    a comment, printed as it is
  quit                                      leave the sandbox (also: exit, Ctrl-D)"""

# Discord's application command option types.
SUB_COMMAND, GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)

_PLACEHOLDERS = {
    STRING: "text",
    INTEGER: "whole number",
    BOOLEAN: "true|false",
    USER: "member",
    CHANNEL: "channel",
    ROLE: "role",
    MENTIONABLE: "member or role",
    NUMBER: "number",
    ATTACHMENT: "file path",
}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class ScriptError(Exception):
    """A line the sandbox cannot run; the message says what to type instead."""


# --- lines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slash:
    """``/command path... name:value...`` or, with ``autocomplete``, ``?/command ...``."""

    path: tuple[str, ...]
    options: tuple[tuple[str, str], ...]
    autocomplete: bool = False


@dataclass(frozen=True)
class Press:
    """Press a button: ``target`` is its number or label."""

    target: str


@dataclass(frozen=True)
class Choose:
    """Choose options of a select menu by number, label or value."""

    targets: tuple[str, ...]


@dataclass(frozen=True)
class Pick:
    """Numbered items: one button, or options of one menu."""

    numbers: tuple[int, ...]


@dataclass(frozen=True)
class SubmitModal:
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ActAs:
    member: str


@dataclass(frozen=True)
class ActIn:
    channel: str


@dataclass(frozen=True)
class Help:
    command: str | None = None


@dataclass(frozen=True)
class Comment:
    text: str


@dataclass(frozen=True)
class Blank:
    pass


@dataclass(frozen=True)
class Quit:
    pass


Line = Slash | Press | Choose | Pick | SubmitModal | ActAs | ActIn | Help | Comment | Blank | Quit


@dataclass(frozen=True)
class Token:
    """A word of a line; ``colon`` is the index of its first unquoted ``:`` (or None)."""

    text: str
    colon: int | None


def tokenize(text: str) -> list[Token]:
    """Split on whitespace; double-quoted parts keep spaces and colons (``\\"`` is a quote)."""
    tokens: list[Token] = []
    chars: list[str] = []
    colon: int | None = None
    in_token = quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
                chars.append(text[i + 1])
                i += 1
            elif c == '"':
                quoted = False
            else:
                chars.append(c)
        elif c.isspace():
            if in_token:
                tokens.append(Token("".join(chars), colon))
                chars, colon, in_token = [], None, False
        else:
            in_token = True
            if c == '"':
                quoted = True
            else:
                if c == ":" and colon is None:
                    colon = len(chars)
                chars.append(c)
        i += 1
    if quoted:
        raise ScriptError('a double quote (") is not closed; close it or write \\" for a quote')
    if in_token:
        tokens.append(Token("".join(chars), colon))
    return tokens


def _pairs(tokens: Sequence[Token], what: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for token in tokens:
        if token.colon is None or token.colon == 0:
            raise ScriptError(f"{token.text!r}: {what} are written name:value")
        name, value = token.text[: token.colon], token.text[token.colon + 1 :]
        if any(name == seen for seen, _ in pairs):
            raise ScriptError(f"{name!r} is given twice")
        pairs.append((name, value))
    return tuple(pairs)


def _parse_slash(text: str, autocomplete: bool) -> Slash:
    tokens = tokenize(text[1:])
    if not tokens or tokens[0].colon is not None:
        raise ScriptError("name the command after the slash, e.g. /stats")
    path = [tokens[0].text]
    rest = tokens[1:]
    while rest and rest[0].colon is None:
        path.append(rest.pop(0).text)
    options = _pairs(rest, "options")
    if autocomplete and not options:
        raise ScriptError("end the line with the option to complete, e.g. ?/weather location:Lon")
    return Slash(tuple(path), options, autocomplete)


def _numbers(words: Sequence[str]) -> tuple[int, ...]:
    if not words or not all(w.isdigit() and int(w) > 0 for w in words):
        raise ScriptError("pick takes the numbers shown beside buttons and menu options: pick 2")
    return tuple(int(w) for w in words)


def parse_line(text: str) -> Line:
    """Parse one line of the sandbox's syntax; raises :class:`ScriptError` when it is not one."""
    line = text.strip()
    if not line:
        return Blank()
    if line.startswith("#"):
        return Comment(line)
    if line.startswith("/"):
        return _parse_slash(line, autocomplete=False)
    if line.startswith("?/"):
        return _parse_slash(line[1:], autocomplete=True)
    tokens = tokenize(line)
    verb, args = tokens[0].text.lower(), [t.text for t in tokens[1:]]
    if verb in ("quit", "exit"):
        return Quit()
    if verb == "help":
        return Help(args[0].lstrip("/") if args else None)
    if verb in ("as", "in", "press") and len(args) != 1:
        example = {"as": "as Bob", "in": "in picks", "press": 'press 2  or  press "Next page"'}
        raise ScriptError(f"{verb} takes one word (quote it if it has spaces): {example[verb]}")
    if verb == "as":
        return ActAs(args[0].lstrip("@"))
    if verb == "in":
        return ActIn(args[0].lstrip("#"))
    if verb == "press":
        return Press(args[0])
    if verb == "choose":
        if not args:
            raise ScriptError("choose what? choose 2  or  choose NFL")
        return Choose(tuple(args))
    if verb == "pick":
        return Pick(_numbers(args))
    if verb == "modal":
        return SubmitModal(_pairs(tokens[1:], "form fields"))
    hint = f" (commands start with a slash: /{tokens[0].text})" if verb.isalpha() else ""
    raise ScriptError(f"unknown line {tokens[0].text!r}{hint}; type help for the forms")


# --- commands and their options ------------------------------------------------------------


def command_options(body: Mapping[str, Any], path: Sequence[str]) -> list[dict[str, Any]]:
    """The options of ``/path`` in a registered command ``body`` (sub-commands walked)."""
    schema: list[dict[str, Any]] = list(body.get("options") or [])
    for depth, name in enumerate(path[1:], start=1):
        subs = {o["name"]: o for o in schema if o["type"] in (SUB_COMMAND, GROUP)}
        if name not in subs:
            where = "/" + " ".join(path[:depth])
            if not subs:
                raise ScriptError(f"{where} has no sub-commands; options are written name:value")
            raise ScriptError(f"{where} has no sub-command {name!r}; it has {', '.join(subs)}")
        schema = list(subs[name].get("options") or [])
    if names := [o["name"] for o in schema if o["type"] in (SUB_COMMAND, GROUP)]:
        raise ScriptError(f"/{' '.join(path)} needs a sub-command: {', '.join(names)}")
    return schema


def _convert(option: Mapping[str, Any], text: str) -> Any:
    """``text`` as the option's type, checked as Discord's client checks it."""
    kind, name = option["type"], option["name"]
    choices = option.get("choices") or []
    if choices:
        for choice in choices:
            if text == str(choice["value"]) or text.lower() == choice["name"].lower():
                return choice["value"]
        names = ", ".join(c["name"] for c in choices)
        raise ScriptError(f"{name}:{text} is not a choice; choose one of: {names}")
    value: Any
    if kind == STRING:
        value = text
        if len(text) > option.get("max_length", 6000) or len(text) < option.get("min_length", 0):
            limits = f"{option.get('min_length', 0)} to {option.get('max_length', 6000)}"
            raise ScriptError(f"{name} takes {limits} characters (got {len(text)})")
        return value
    if kind == INTEGER:
        try:
            value = int(text)
        except ValueError:
            raise ScriptError(f"{name} takes a whole number, like 3 (got {text!r})") from None
    elif kind == NUMBER:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ScriptError(f"{name} takes a number, like 1.5 (got {text!r})")
        value = int(value) if value.is_integer() and "." not in text else value
    elif kind == BOOLEAN:
        if text.lower() not in _TRUE | _FALSE:
            raise ScriptError(f"{name} takes true or false (got {text!r})")
        return text.lower() in _TRUE
    elif kind in (USER, CHANNEL, ROLE, MENTIONABLE):
        return text.lstrip("@#")
    elif kind == ATTACHMENT:
        file = Path(text).expanduser()
        if not file.is_file():
            raise ScriptError(f"{name} takes a file path; {text!r} is not a file")
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return Attachment(file.name, file.read_bytes(), content_type)
    else:
        raise ScriptError(f"{name} has an option type ({kind}) the sandbox cannot type")
    low, high = option.get("min_value"), option.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{'…' if low is None else low} to {'…' if high is None else high}"
        raise ScriptError(f"{name} takes {bounds} (got {text})")
    return value


def convert_options(
    body: Mapping[str, Any], line: Slash, *, focused: str | None = None
) -> dict[str, Any]:
    """The line's option values typed per the command's registered options.

    The ``focused`` option (autocomplete) stays text, and required options may then be missing.
    """
    schema = {o["name"]: o for o in command_options(body, line.path)}
    out: dict[str, Any] = {}
    for name, text in line.options:
        if name not in schema:
            known = ", ".join(schema) or "none"
            raise ScriptError(f"/{' '.join(line.path)} has no option {name!r}; options: {known}")
        out[name] = text if name == focused else _convert(schema[name], text)
    missing = [n for n, o in schema.items() if o.get("required") and n not in out]
    if missing and focused is None:
        usage = usage_lines(body, line.path)[0]
        raise ScriptError(f"missing {', '.join(missing)}; usage: {usage}")
    return out


def _placeholder(option: Mapping[str, Any]) -> str:
    choices = option.get("choices") or []
    if choices:
        return "|".join(str(c["value"]) for c in choices)
    return _PLACEHOLDERS.get(option["type"], "value")


def usage_lines(
    body: Mapping[str, Any], path: Sequence[str] = (), *, descriptions: bool = False
) -> list[str]:
    """``/cmd sub name:<type> [name:<type>]`` for every sub-command of ``body`` under ``path``."""
    out: list[str] = []

    def walk(prefix: list[str], options: list[dict[str, Any]], description: str) -> None:
        subs = [o for o in options if o["type"] in (SUB_COMMAND, GROUP)]
        if subs:
            for sub in subs:
                if len(prefix) < len(path) and sub["name"] != path[len(prefix)]:
                    continue
                walk([*prefix, sub["name"]], sub.get("options") or [], sub.get("description", ""))
            return
        parts = ["/" + " ".join(prefix)]
        for option in options:
            word = f"{option['name']}:<{_placeholder(option)}>"
            parts.append(word if option.get("required") else f"[{word}]")
        out.append(" ".join(parts))
        if descriptions:
            out.append(f"    {description}")
            out.extend(
                f"      {o['name']}: {o.get('description', '')}"
                + (" (autocomplete: ?/...)" if o.get("autocomplete") else "")
                for o in options
            )

    walk([body["name"]], body.get("options") or [], body.get("description", ""))
    return out or [f"/{body['name']}"]
