"""The sandbox's line syntax: tokens, line forms, option typing and usage text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.testing.driver import Attachment
from core.testing.script import (
    ActAs,
    ActIn,
    Blank,
    Choose,
    Comment,
    Help,
    Pick,
    Press,
    Quit,
    ScriptError,
    Slash,
    SubmitModal,
    command_options,
    convert_options,
    parse_line,
    tokenize,
    usage_lines,
)

BET: dict[str, Any] = {
    "name": "bet",
    "description": "Picks.",
    "options": [
        {
            "name": "straight",
            "type": 1,
            "description": "Post a straight pick.",
            "options": [
                {"name": "team", "type": 3, "required": True, "max_length": 10},
                {"name": "odds", "type": 10, "required": True},
                {"name": "units", "type": 4, "min_value": 1, "max_value": 5},
                {"name": "live", "type": 5},
                {"name": "member", "type": 6},
                {"name": "channel", "type": 7},
                {
                    "name": "market",
                    "type": 3,
                    "choices": [
                        {"name": "Moneyline", "value": "moneyline"},
                        {"name": "Spread", "value": "spread"},
                    ],
                },
                {"name": "proof", "type": 11},
            ],
        },
        {"name": "admin", "type": 2, "options": [{"name": "grade", "type": 1, "options": []}]},
    ],
}


def line(text: str) -> Slash:
    parsed = parse_line(text)
    assert isinstance(parsed, Slash)
    return parsed


# --- tokens ------------------------------------------------------------------------------


def test_quotes_keep_spaces_and_colons_and_mark_the_first_unquoted_colon() -> None:
    tokens = tokenize('team:"New York Jets"  note:"at: 7pm" "a:b" plain')
    assert [t.text for t in tokens] == ["team:New York Jets", "note:at: 7pm", "a:b", "plain"]
    assert [t.colon for t in tokens] == [4, 4, None, None]


def test_escapes_inside_quotes_and_apostrophes_outside() -> None:
    tokens = tokenize(r'note:"say \"hi\" \\ o/" team:Hawai\'i')
    assert [t.text for t in tokens] == ['note:say "hi" \\ o/', "team:Hawai\\'i"]
    assert tokenize("note:Don't")[0].text == "note:Don't"


def test_an_empty_quoted_value_is_a_token() -> None:
    assert [t.text for t in tokenize('note:"" x')] == ["note:", "x"]


def test_an_unclosed_quote_says_how_to_fix_it() -> None:
    with pytest.raises(ScriptError, match="not closed"):
        tokenize('team:"New York')


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30))
def test_any_quoted_value_comes_back_unchanged(value: str) -> None:
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    tokens = tokenize(f'name:"{quoted}"')
    assert len(tokens) == 1
    assert tokens[0].text == f"name:{value}"
    assert tokens[0].colon == 4


# --- line forms --------------------------------------------------------------------------


def test_slash_line_path_then_options() -> None:
    assert line('/bet straight team:"Jets" odds:-110') == Slash(
        ("bet", "straight"), (("team", "Jets"), ("odds", "-110"))
    )
    assert line("/stats") == Slash(("stats",), ())


def test_autocomplete_line_focuses_the_last_option() -> None:
    parsed = line("?/bet straight team:Je")
    assert parsed.autocomplete and parsed.options[-1] == ("team", "Je")
    with pytest.raises(ScriptError, match="option to complete"):
        parse_line("?/bet straight")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("press 2", Press("2")),
        ('press "Place parlay"', Press("Place parlay")),
        ("choose NFL NBA", Choose(("NFL", "NBA"))),
        ('choose "New York Jets"', Choose(("New York Jets",))),
        ("pick 1 3", Pick((1, 3))),
        (
            'modal odds:+135 "Your note":"two words"',
            SubmitModal((("odds", "+135"), ("Your note", "two words"))),
        ),
        ("as @Bob", ActAs("Bob")),
        ("in #picks", ActIn("picks")),
        ("help", Help()),
        ("help /bet", Help("bet")),
        ("# a note", Comment("# a note")),
        ("   ", Blank()),
        ("QUIT", Quit()),
        ("exit", Quit()),
    ],
)
def test_line_forms(text: str, expected: object) -> None:
    assert parse_line(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stats", "commands start with a slash: /stats"),
        ("/", "name the command"),
        ("/bet team:x straight", "'straight': options are written name:value"),
        ("/bet a:1 a:2", "'a' is given twice"),
        ("pick two", "pick takes the numbers"),
        ("pick 0", "pick takes the numbers"),
        ("as", "as takes one word"),
        ("as Bob Alice", "as takes one word"),
        ("choose", "choose what"),
        ("modal odds", "form fields are written name:value"),
    ],
)
def test_bad_lines_say_what_to_type(text: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message.replace("(", r"\(")):
        parse_line(text)


# --- option typing -----------------------------------------------------------------------


def test_options_are_typed_per_the_registered_command(tmp_path: Path) -> None:
    proof = tmp_path / "slip.png"
    proof.write_bytes(b"\x89PNG")
    options = convert_options(
        BET,
        line(
            f"/bet straight team:Jets odds:-110 units:3 live:yes member:@Bob "
            f"channel:#picks market:Spread proof:{proof}"
        ),
    )
    assert options == {
        "team": "Jets",
        "odds": -110,
        "units": 3,
        "live": True,
        "member": "Bob",
        "channel": "picks",
        "market": "spread",
        "proof": Attachment("slip.png", b"\x89PNG", "image/png"),
    }
    assert convert_options(BET, line("/bet straight team:J odds:1.91"))["odds"] == 1.91


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/bet straight team:Jets odds:abc", "odds takes a number"),
        ("/bet straight team:Jets odds:nan", "odds takes a number"),
        ("/bet straight team:Jets odds:1 units:2.5", "units takes a whole number"),
        ("/bet straight team:Jets odds:1 units:9", "units takes 1 to 5"),
        ("/bet straight team:Jets odds:1 live:maybe", "live takes true or false"),
        ("/bet straight team:Jets odds:1 market:parlay", "choose one of: Moneyline, Spread"),
        ("/bet straight team:ABCDEFGHIJK odds:1", "team takes 0 to 10 characters"),
        ("/bet straight team:Jets odds:1 proof:/no/such/file", "not a file"),
        ("/bet straight team:Jets odds:1 colour:red", "has no option 'colour'"),
        ("/bet straight odds:1", "missing team; usage: /bet straight team:<text>"),
        ("/bet", "needs a sub-command: straight, admin"),
        ("/bet parlay", "has no sub-command 'parlay'; it has straight, admin"),
        ("/bet straight extra", "has no sub-commands"),
    ],
)
def test_bad_options_say_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message.replace("(", r"\(")):
        convert_options(BET, line(text))


def test_the_focused_option_stays_text_and_required_ones_may_be_missing() -> None:
    options = convert_options(BET, line("?/bet straight odds:-110 units:2"), focused="units")
    assert options == {"odds": -110, "units": "2"}


def test_group_paths_are_walked() -> None:
    assert command_options(BET, ("bet", "admin", "grade")) == []


def test_usage_lines_show_every_sub_command_with_types() -> None:
    lines = usage_lines(BET)
    assert lines[0].startswith("/bet straight team:<text> odds:<number> [units:<whole number>]")
    assert "[market:<moneyline|spread>]" in lines[0]
    assert lines[1] == "/bet admin grade"
    described = usage_lines(BET, ("bet", "straight"), descriptions=True)
    assert described[1] == "    Post a straight pick."
    assert len([x for x in described if x.startswith("/")]) == 1
