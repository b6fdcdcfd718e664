"""core.discord_limits: whatever goes in, what comes out is within Discord's limits (the local
Discord's own check is the judge), and what was cut is cut visibly."""

from __future__ import annotations

import disnake
from hypothesis import given, settings
from hypothesis import strategies as st

from core import discord_limits as limits
from core.testing.limits import callback_errors, message_errors
from core.validation import escape_markdown


def errors_of(*embeds: disnake.Embed, content: str | None = None) -> dict:
    body = {"content": content, "embeds": [e.to_dict() for e in embeds]}
    return message_errors(body)


def test_clip_is_visible_and_exact() -> None:
    assert limits.clip("abc", 3) == "abc"
    assert limits.clip("abcd", 3) == "ab…"
    assert len(limits.clip("x" * 5000, limits.TITLE)) == limits.TITLE
    escaped = escape_markdown("*" * 10)  # \*\*\*...: a cut never leaves a lone backslash
    assert limits.clip(escaped, 4) == "\\*…"
    assert limits.clip(escaped, 5) == "\\*\\*…"


def test_fit_text_keeps_whole_lines_and_says_how_many_are_left() -> None:
    lines = [f"line {n:02d} " + "x" * 90 for n in range(10)]  # 10 lines of 98 characters + newlines
    text = "\n".join(lines)
    assert limits.fit_text(text, len(text)) == text
    fitted = limits.fit_text(text, 500)
    assert len(fitted) <= 500
    assert fitted.split("\n")[:-1] == lines[:4] and fitted.endswith("(+6 more)")
    one_line = limits.fit_text("y" * 3000, limits.CONTENT)
    assert len(one_line) == limits.CONTENT and one_line.endswith("…")
    first_too_long = limits.fit_text("z" * 300 + "\nshort", 100)
    assert len(first_too_long) <= 100 and first_too_long.endswith("…\n(+1 more)")


def test_fit_embed_at_every_maximum_is_untouched() -> None:
    embed = disnake.Embed(title="t" * 256, description="d" * 4096)
    embed.set_footer(text="f" * 1148).set_author(name="a" * 256)
    embed.add_field("n" * 100, "v" * 144)  # 256 + 4096 + 1148 + 256 + 244 = 6000
    before = embed.to_dict()
    assert limits.fit(embed).to_dict() == before
    assert errors_of(embed) == {}


def test_fit_embed_past_every_maximum() -> None:
    embed = disnake.Embed(title="t" * 300, description="\n".join(["row " * 30] * 60))
    embed.set_footer(text="f" * 3000).set_author(name="a" * 300)
    for n in range(30):
        embed.add_field(f"field {n} " + "n" * 300, "v" * 2000)
    assert errors_of(embed) != {}
    limits.fit(embed)
    assert errors_of(embed) == {}
    assert embed.title is not None and embed.title.endswith("…") and len(embed.title) == 256
    shown = len(embed.fields) - 1  # the last field says how many are left out
    assert embed.fields[-1].value == f"(+{30 - shown} more) not shown"
    assert embed.description is not None and "more)" in embed.description


def test_fields_beyond_25_are_counted_in_a_last_field() -> None:
    embed = disnake.Embed()
    for n in range(30):
        embed.add_field(str(n), "v")
    limits.fit(embed)
    assert [f.name for f in embed.fields][:24] == [str(n) for n in range(24)]
    assert len(embed.fields) == 25 and embed.fields[-1].value == "(+6 more) not shown"


def test_empty_field_values_are_shown_as_a_dash() -> None:
    embed = disnake.Embed().add_field("", "")
    assert errors_of(embed) != {}
    assert errors_of(limits.fit(embed)) == {} and embed.fields[0].value == limits.EMPTY_FIELD


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=400),
    description=st.text(max_size=6000),
    fields=st.lists(st.tuples(st.text(max_size=300), st.text(max_size=1500)), max_size=30),
    footer=st.text(max_size=2500),
)
def test_fit_always_satisfies_the_local_discord(
    title: str, description: str, fields: list[tuple[str, str]], footer: str
) -> None:
    embed = disnake.Embed(title=title or None, description=description or None)
    for name, value in fields:
        embed.add_field(name, value)
    if footer:
        embed.set_footer(text=footer)
    assert errors_of(limits.fit(embed)) == {}


def test_select_shows_25_and_says_how_many_are_left() -> None:
    options = [disnake.SelectOption(label=f"{n} " + "L" * 120, value=str(n)) for n in range(40)]
    menu = limits.select("menu", options, "Choose a game")
    assert len(menu.options) == 25 and all(len(o.label) == 100 for o in menu.options)
    assert menu.placeholder == "Choose a game (+15 more)"
    row = {"type": 1, "components": [menu.to_component_dict()]}
    assert message_errors({"components": [row]}) == {}


def test_choices_within_limits() -> None:
    found = {f"game {n} " + "x" * 150: str(n) for n in range(30)}
    answer = limits.choices(found)
    assert len(answer) == 25 and all(len(c.name) == 100 for c in answer)
    assert [c.value for c in answer] == [str(n) for n in range(25)]
    assert limits.choices(["ok", "v" * 101]) == [disnake.OptionChoice("ok", "ok")]  # no cut value
    body = {"type": 8, "data": {"choices": [c.to_dict() for c in answer]}}
    assert callback_errors(body) == {}
