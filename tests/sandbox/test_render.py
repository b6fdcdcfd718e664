"""The text renderer: embeds as panels, buttons and menu options as numbered choices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.testing.driver import Attachment, Choice, Component, Embed, Message
from core.testing.render import Renderer, form_fields, numbered
from core.testing.server import default_world
from core.testing.state import World


def message(
    content: str = "",
    *,
    embeds: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    files: tuple[Attachment, ...] = (),
    flags: int = 0,
) -> Message:
    return Message(
        id=42,
        channel_id=1,
        content=content,
        embeds=tuple(Embed.from_wire(e) for e in embeds or []),
        components=tuple(Component.from_wire(c) for c in components or []),
        ephemeral=False,
        files=files,
        raw={"flags": flags},
    )


def button(label: str, custom_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": 2, "label": label, "custom_id": custom_id or label.lower(), **extra}


def select(custom_id: str, *labels: str, **extra: Any) -> dict[str, Any]:
    options = [{"label": x, "value": x.lower()} for x in labels]
    return {"type": 3, "custom_id": custom_id, "options": options, **extra}


def test_embed_is_a_panel_with_title_description_fields_and_footer(tmp_path: Path) -> None:
    embed = {
        "title": "Pick #1 · Straight",
        "description": "Jets @ Bills — Moneyline",
        "fields": [
            {"name": "Risk", "value": "1.00u", "inline": True},
            {"name": "To win", "value": "0.91u", "inline": True},
            {"name": "Note", "value": "first line\nsecond line"},
        ],
        "footer": {"text": "Pick #1 · NFL"},
    }
    lines = Renderer(World(), tmp_path).embed(Embed.from_wire(embed))
    assert lines == [
        "╭─ Pick #1 · Straight",
        "│ Jets @ Bills — Moneyline",
        "│",
        "│ Risk: 1.00u · To win: 0.91u",
        "│",
        "│ ▸ Note",
        "│   first line",
        "│   second line",
        "│",
        "│ Pick #1 · NFL",
        "╰─",
    ]


def test_long_descriptions_wrap_inside_the_panel(tmp_path: Path) -> None:
    lines = Renderer(World(), tmp_path).embed(Embed.from_wire({"description": "word " * 40}))
    assert lines[0] == "╭─" and lines[-1] == "╰─"
    assert len(lines) > 3 and all(len(x) <= 80 for x in lines)


def test_buttons_and_menu_options_share_one_numbering(tmp_path: Path) -> None:
    msg = message(
        "Choose",
        components=[
            button("Back"),
            button("Docs", url="https://example.com", custom_id=None),
            select("league", "NFL", "NBA", placeholder="League", max_values=2),
            button("Next", disabled=True),
        ],
    )
    lines = Renderer(World(), tmp_path).message(msg, "  bot:")
    assert lines == [
        "  bot:",
        "    Choose",
        "    [1 Back] [link Docs: https://example.com]",
        "    ▾ League (choose 1 to 2)",
        "       2) NFL",
        "       3) NBA",
        "    [4 Next (disabled)]",
    ]
    items = numbered(msg)
    assert [(i.number, i.label, i.option_value) for i in items] == [
        (1, "Back", None),
        (2, "NFL", "nfl"),
        (3, "NBA", "nba"),
        (4, "Next", None),
    ]


def test_mentions_and_timestamps_read_as_names_and_dates(tmp_path: Path) -> None:
    world = default_world()
    guild = world.guild()
    alice, picks, managers = guild.member("Alice"), guild.channel("picks"), guild.role("Managers")
    text = f"<@{alice.id}> <@!{alice.id}> in <#{picks.id}> for <@&{managers.id}> <t:0:f> <:yes:1>"
    assert Renderer(world, tmp_path).humanize(text) == (
        "@Alice @Alice in #picks for @Managers 1970-01-01 00:00 UTC :yes:"
    )
    assert Renderer(world, tmp_path).humanize("<@1>") == "<@1>"  # unknown stays as it is


def test_files_are_saved_and_embed_images_name_them(tmp_path: Path) -> None:
    chart = Attachment("units.png", b"\x89PNG-data", "image/png")
    log = Attachment("log.csv", b"a,b\n", "text/csv")
    msg = message(
        embeds=[{"title": "Alice", "image": {"url": "attachment://units.png"}}],
        files=(chart, log),
    )
    lines = Renderer(World(), tmp_path / "out").message(msg, "  bot:")
    saved = tmp_path / "out" / "42-units.png"
    assert saved.read_bytes() == b"\x89PNG-data"
    assert (tmp_path / "out" / "42-log.csv").read_text() == "a,b\n"
    assert f"    │ image: units.png (saved: {saved})" in lines
    assert lines[-1] == f"    file: {tmp_path / 'out' / '42-log.csv'}"


def test_deferred_and_empty_messages_say_so(tmp_path: Path) -> None:
    renderer = Renderer(World(), tmp_path)
    assert renderer.message(message(flags=1 << 7), "h")[1:] == ["    (the bot is thinking…)"]
    assert renderer.message(message(), "h")[1:] == ["    (an empty message)"]


MODAL_LABELS = {
    "title": "Moneyline",
    "custom_id": "betnew:0:modal",
    "components": [
        {
            "type": 18,
            "label": "Odds",
            "component": {"type": 4, "custom_id": "odds", "placeholder": "-110", "style": 1},
        },
        {
            "type": 18,
            "label": "Note",
            "component": {"type": 4, "custom_id": "note", "required": False, "style": 2},
        },
    ],
}
MODAL_ROWS = {
    "title": "Old style",
    "components": [
        {
            "type": 1,
            "components": [{"type": 4, "custom_id": "units", "label": "Units", "value": "1"}],
        }
    ],
}


def test_form_fields_from_both_modal_layouts() -> None:
    assert [(f.custom_id, f.label, f.required) for f in form_fields(MODAL_LABELS)] == [
        ("odds", "Odds", True),
        ("note", "Note", False),
    ]
    assert [(f.custom_id, f.label, f.value) for f in form_fields(MODAL_ROWS)] == [
        ("units", "Units", "1")
    ]


def test_a_modal_shows_its_fields_and_the_line_that_fills_it(tmp_path: Path) -> None:
    assert Renderer(World(), tmp_path).modal(MODAL_LABELS) == [
        '  bot opened a form "Moneyline":',
        "    odds: Odds (required, e.g. -110)",
        "    note: Note (optional)",
        "    fill it in with:  modal odds:...",
    ]


def test_choices_show_values_that_differ_from_names(tmp_path: Path) -> None:
    renderer = Renderer(World(), tmp_path)
    assert renderer.choices("game", [Choice("Jets @ Bills", "7"), Choice("NFL", "NFL")]) == [
        "  choices for game:",
        "    Jets @ Bills   (value: 7)",
        "    NFL",
    ]
    assert renderer.choices("game", []) == ["  no choices for game"]
