"""Render what the bot sent as plain text: messages, embeds as panels, components as numbers.

Numbering: the buttons and the options of string select menus on one message are numbered
together, from 1, in the order they are shown, so a sandbox line can say ``pick 3``::

    ╭─ Leaderboard · all time
    │ 1. Alice  +3.20u
    ╰──
    [1 ◀ Previous] [2 Next ▶]
    ▾ Period
       3) today   4) week   5) all
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.testing.driver import Choice, Component, Embed, Message
from core.testing.state import World

WIDTH = 76  # text is wrapped to this many columns inside panels
BUTTON, STRING_SELECT, TEXT_INPUT, LABEL = 2, 3, 4, 18
_OTHER_SELECTS = {5: "member", 6: "role", 7: "member or role", 8: "channel"}
_LOADING = 1 << 7
_MENTION = re.compile(r"<(@!?|@&|#)(\d+)>|<t:(-?\d+)(?::([tTdDfFR]))?>|<a?:(\w+):\d+>")


@dataclass(frozen=True)
class Numbered:
    """One numbered item of a message: a button, or an option of a string select menu."""

    number: int
    component: Component
    option_value: str | None = None  # None for a button

    @property
    def label(self) -> str:
        if self.option_value is None:
            return self.component.label or self.component.custom_id or "?"
        option = next(o for o in self.component.options if o.value == self.option_value)
        return option.label


def numbered(message: Message) -> list[Numbered]:
    """The message's pressable buttons and string-select options, numbered as rendered."""
    items: list[Numbered] = []
    for component in message.components:
        if component.type == BUTTON and component.url is None:
            items.append(Numbered(len(items) + 1, component))
        elif component.type == STRING_SELECT:
            for option in component.options:
                items.append(Numbered(len(items) + 1, component, option.value))
    return items


@dataclass(frozen=True)
class FormField:
    """One input of a modal, with the label shown above it."""

    custom_id: str
    label: str
    required: bool
    placeholder: str | None
    value: str | None
    kind: int


def form_fields(modal_raw: Mapping[str, Any]) -> list[FormField]:
    """The inputs of a modal, from both layouts (action rows, and label components)."""

    def walk(components: Sequence[Mapping[str, Any]], label: str | None) -> Iterator[FormField]:
        for component in components:
            if component["type"] == 1:
                yield from walk(component.get("components", []), None)
            elif component["type"] == LABEL:
                yield from walk([component["component"]], component.get("label"))
            elif component.get("custom_id"):
                yield FormField(
                    custom_id=component["custom_id"],
                    label=label or component.get("label") or component["custom_id"],
                    required=component.get("required", True),
                    placeholder=component.get("placeholder"),
                    value=component.get("value"),
                    kind=component["type"],
                )

    return list(walk(modal_raw.get("components", []), None))


class Renderer:
    """Turns the local Discord's messages into lines of text; ``files_dir`` receives files."""

    def __init__(self, world: World, files_dir: Path) -> None:
        self.world = world
        self.files_dir = files_dir

    # --- text -----------------------------------------------------------------------------

    def humanize(self, text: str) -> str:
        """Mentions as @name / #channel, timestamps as UTC dates, custom emoji as :name:."""

        def replace(match: re.Match[str]) -> str:
            kind, ident, stamp, _style, emoji = match.groups()
            if emoji is not None:
                return f":{emoji}:"
            if stamp is not None:
                moment = datetime.fromtimestamp(int(stamp), UTC)
                return moment.strftime("%Y-%m-%d %H:%M UTC")
            if kind == "#":
                channel = self.world.find_channel(int(ident))
                return f"#{channel.name}" if channel else match.group(0)
            if kind == "@&":
                role = next(
                    (r for g in self.world.guilds for r in g.roles if r.id == int(ident)), None
                )
                return f"@{role.name}" if role else match.group(0)
            user = self.world.find_user(int(ident))
            return f"@{user.name}" if user else match.group(0)

        return _MENTION.sub(replace, text)

    def _wrap(self, text: str, width: int = WIDTH) -> list[str]:
        lines: list[str] = []
        for paragraph in self.humanize(text).splitlines() or [""]:
            lines.extend(textwrap.wrap(paragraph, width, replace_whitespace=False) or [""])
        return lines

    # --- messages -------------------------------------------------------------------------

    def message(self, message: Message, header: str) -> list[str]:
        """``header`` then the message, indented: content, embeds, files, components."""
        out = [header]
        body: list[str] = []
        if message.raw.get("flags", 0) & _LOADING and not (message.content or message.embeds):
            body.append("(the bot is thinking…)")
        if message.content:
            body.extend(self._wrap(message.content))
        saved = self.save_files(message)
        for embed in message.embeds:
            body.extend(self.embed(embed, saved))
        shown_in_embeds = {
            url.removeprefix("attachment://")
            for embed in message.embeds
            for kind in ("image", "thumbnail")
            if (url := (embed.raw.get(kind) or {}).get("url", ""))
        }
        body.extend(f"file: {path}" for name, path in saved.items() if name not in shown_in_embeds)
        body.extend(self.components(message))
        if not body:
            body.append("(an empty message)")
        out.extend(f"    {line}" for line in body)
        return out

    def embed(self, embed: Embed, files: Mapping[str, Path] | None = None) -> list[str]:
        """An embed as a panel: title rule, author, description, fields, image, footer.

        ``files`` are the message's saved files by name (``attachment://`` images name them).
        """
        title = self.humanize(embed.title or "")
        if embed.url:
            title = f"{title} <{embed.url}>" if title else embed.url
        out = [f"╭─ {title}" if title else "╭─"]
        inner: list[str] = []
        if embed.author:
            inner.append(f"by {embed.author}")
        if embed.description:
            inner.extend(self._wrap(embed.description, WIDTH - 2))
        inner.extend(self._fields(embed, bool(inner)))
        for kind in ("image", "thumbnail"):
            url = (embed.raw.get(kind) or {}).get("url")
            if url:
                name = url.removeprefix("attachment://")
                shown = f"{name} (saved: {files[name]})" if files and name in files else url
                inner.append(f"{kind}: {shown}")
        if embed.footer:
            inner.extend(["", *self._wrap(embed.footer, WIDTH - 2)])
        out.extend(f"│ {line}".rstrip() for line in inner)
        out.append("╰─")
        return out

    def _fields(self, embed: Embed, after_text: bool) -> list[str]:
        """Runs of short inline fields share lines (``name: value · name: value``); other
        fields get a heading and their value below it."""
        out: list[str] = []
        run: list[str] = []

        def flush() -> None:
            if run:
                out.extend(textwrap.wrap(" · ".join(run), WIDTH - 2, break_long_words=False))
                run.clear()

        for field in embed.fields:
            name, value = self.humanize(field.name), self.humanize(field.value)
            if field.inline and "\n" not in value and len(name) + len(value) < WIDTH // 2:
                if not run and (out or after_text):
                    out.append("")
                run.append(f"{name}: {value}")
                continue
            flush()
            if out or after_text:
                out.append("")
            out.append(f"▸ {name}")
            out.extend(f"  {line}" for line in self._wrap(field.value, WIDTH - 4))
        flush()
        return out

    def components(self, message: Message) -> list[str]:
        """Buttons on one line as ``[n label]``; each select menu as its numbered options."""
        out: list[str] = []
        items = {(i.component.custom_id, i.option_value): i.number for i in numbered(message)}
        buttons: list[str] = []
        for component in message.components:
            if component.type == BUTTON:
                label = component.label or "(no label)"
                if component.url is not None:
                    buttons.append(f"[link {label}: {component.url}]")
                else:
                    number = items[(component.custom_id, None)]
                    off = " (disabled)" if component.disabled else ""
                    buttons.append(f"[{number} {label}{off}]")
                continue
            if buttons:
                out.append(" ".join(buttons))
                buttons = []
            if component.type == STRING_SELECT:
                out.extend(self._select(component, items))
            elif component.type in _OTHER_SELECTS:
                name = component.placeholder or "a menu"
                out.append(f"▾ {name} ({_OTHER_SELECTS[component.type]} menu: not in the sandbox)")
        if buttons:
            out.append(" ".join(buttons))
        return out

    def _select(
        self, menu: Component, items: Mapping[tuple[str | None, str | None], int]
    ) -> list[str]:
        low, high = menu.raw.get("min_values", 1), menu.raw.get("max_values", 1)
        how = "choose one" if high == 1 else f"choose {low} to {high}"
        off = ", disabled" if menu.disabled else ""
        out = [f"▾ {menu.placeholder or 'Menu'} ({how}{off})"]
        for option in menu.options:
            number = items[(menu.custom_id, option.value)]
            text = f"   {number}) {option.label}"
            if option.description:
                text += f" — {option.description}"
            if option.default:
                text += " (selected)"
            out.append(text)
        return out

    # --- other answers --------------------------------------------------------------------

    def modal(self, raw: Mapping[str, Any]) -> list[str]:
        """A form the bot opened, with the line that fills it in."""
        fields = form_fields(raw)
        out = [f'  bot opened a form "{raw.get("title", "")}":']
        for field in fields:
            need = "required" if field.required else "optional"
            extra = f", e.g. {field.placeholder}" if field.placeholder else ""
            value = f" [now: {field.value}]" if field.value else ""
            out.append(f"    {field.custom_id}: {field.label} ({need}{extra}){value}")
        example = " ".join(f"{f.custom_id}:..." for f in fields if f.required) or "..."
        out.append(f"    fill it in with:  modal {example}")
        return out

    def choices(self, option: str, choices: Sequence[Choice]) -> list[str]:
        """Autocomplete choices, with the value sent when it differs from the name."""
        if not choices:
            return [f"  no choices for {option}"]
        out = [f"  choices for {option}:"]
        for choice in choices:
            shown = f"    {choice.name}"
            if str(choice.value) != choice.name:
                shown += f"   (value: {choice.value})"
            out.append(shown)
        return out

    # --- files ----------------------------------------------------------------------------

    def save_files(self, message: Message) -> dict[str, Path]:
        """Write the message's files under ``files_dir``; returns their paths by file name."""
        paths: dict[str, Path] = {}
        for file in message.files:
            path = self.files_dir / f"{message.id}-{Path(file.name).name}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(file.data)
            paths[file.name] = path
        return paths
