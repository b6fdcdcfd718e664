"""Discord's limits on what one message may carry, and the one way plugins stay within them.

Discord answers ``400 Invalid Form Body`` to a message, edit, followup or interaction callback
that breaks any of these limits, and the member sees nothing. Every plugin builds what it sends
with this module, so that never happens and whatever does not fit is cut *visibly*:

- :func:`fit` clips an embed's title, description, fields, footer and author, and the 6,000
  characters Discord allows for all of a message's embeds, in place. A description of several
  lines keeps whole lines and ends with ``(+3 more)``; a single line ends with ``…``. Fields
  beyond the 25th are replaced by one that says how many are left.
- :func:`fit_text` does the same for a message's content (2,000) or any other text.
- :func:`clip` cuts one text to a length with ``…``; :func:`share` is the width each of ``n``
  lines may take so that all of them fit (a bet slip shows every leg, each clipped to its share).
- :func:`select` builds a dropdown of at most 25 options, its placeholder saying how many were
  left out; :func:`choices` turns an autocomplete answer into at most 25 valid choices.

Escaping markdown lengthens text (``*`` becomes ``\\*``), so fit what is sent, after escaping.
Lengths are counted in Unicode code points (Python's ``len``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import disnake
from disnake.ui.select.string import StringSelect

TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
EMBEDS_TOTAL = 6000
"""All of a message's embeds together: titles, descriptions, field names and values, footers
and author names."""
EMBEDS = 10
CONTENT = 2000
ACTION_ROWS = 5
ROW_WIDTH = 5
"""Buttons in one action row (a select takes a whole row)."""
BUTTON_LABEL = 80
CUSTOM_ID = 100
SELECT_OPTIONS = 25
OPTION_TEXT = 100
"""A select option's label, value and description."""
PLACEHOLDER = 150
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
"""A string choice's value."""
MODAL_TITLE = 45
TEXT_INPUT_LABEL = 45
TEXT_INPUT_PLACEHOLDER = 100

ELLIPSIS = "…"
EMPTY_FIELD = "—"
"""Shown for an empty field name or value, which Discord refuses."""


def more(count: int) -> str:
    """``(+3 more)``: how many lines, fields or options did not fit."""
    return f"(+{count} more)"


def clip(text: str, limit: int) -> str:
    """``text``, or its first ``limit - 1`` characters and ``…``.

    A cut never leaves a lone backslash of a markdown escape in front of the ``…``."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    trailing = len(head) - len(head.rstrip("\\"))
    if trailing % 2:
        head = head[:-1]
    return head + ELLIPSIS


def share(limit: int, count: int, separator: int = 1) -> int:
    """The width each of ``count`` lines may take for all of them, joined by ``separator``
    characters, to fit in ``limit``."""
    if count <= 1:
        return limit
    return max(1, (limit - separator * (count - 1)) // count)


def fit_text(text: str, limit: int) -> str:
    """``text`` within ``limit``: as many whole lines as fit and ``(+N more)`` for the lines
    left out; a first line that alone is too long is clipped."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    if len(lines) == 1:
        return clip(text, limit)
    kept, length = 0, -1  # no separator before the first line
    for line in lines[:-1]:
        longer = length + 1 + len(line)
        if longer + 1 + len(more(len(lines) - kept - 1)) > limit:
            break
        kept, length = kept + 1, longer
    if kept:
        return "\n".join([*lines[:kept], more(len(lines) - kept)])
    note = more(len(lines) - 1)
    if limit < len(note) + 2:
        return clip(lines[0], limit)
    return clip(lines[0], limit - len(note) - 1) + "\n" + note


MIN_PART = 64
"""For the 6,000 total, the description and field values are shortened alike, none below this
many characters; when that is not enough, trailing fields are left out."""


def _hidden_note(hidden: int) -> tuple[str, str]:
    return ELLIPSIS, f"{more(hidden)} not shown"


def _cap(lengths: Sequence[int], budget: int) -> int | None:
    """The largest ``cap`` (at least :data:`MIN_PART`) such that the parts, each cut to ``cap``,
    fit in ``budget``; None if even :data:`MIN_PART` is too much."""
    if sum(lengths) <= budget:
        return max(lengths, default=0)
    low, high = MIN_PART, max(lengths)
    if sum(min(n, low) for n in lengths) > budget:
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(n, middle) for n in lengths) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def fit(embed: disnake.Embed) -> disnake.Embed:
    """Clip ``embed`` in place to Discord's limits, the 6,000 characters in all included, and
    return it. For the total, the description and the field values are shortened alike (the
    longest first, see :data:`MIN_PART`), then trailing fields are left out."""
    if embed.title:
        embed.title = clip(embed.title, TITLE)
    if embed.footer.text:
        embed.set_footer(text=clip(embed.footer.text, FOOTER), icon_url=embed.footer.icon_url)
    if embed.author.name:
        author = embed.author
        name = clip(author.name or "", AUTHOR)
        embed.set_author(name=name, url=author.url, icon_url=author.icon_url)
    description = fit_text(embed.description, DESCRIPTION) if embed.description else ""
    fields = [
        (clip(f.name or EMPTY_FIELD, FIELD_NAME), fit_text(f.value or EMPTY_FIELD, FIELD_VALUE))
        for f in embed.fields
    ]
    inline = [bool(f.inline) for f in embed.fields]
    hidden = len(fields) - FIELDS + 1 if len(fields) > FIELDS else 0
    del fields[len(fields) - hidden :]
    while True:
        fixed = len(embed.title or "") + len(embed.footer.text or "") + len(embed.author.name or "")
        fixed += sum(len(name) for name, _ in fields)
        fixed += sum(map(len, _hidden_note(hidden))) if hidden else 0
        lengths = [len(description), *(len(value) for _, value in fields)]
        cap = _cap(lengths, EMBEDS_TOTAL - fixed)
        if cap is not None or not fields:
            break
        fields.pop()
        hidden += 1
    cap = max(1, EMBEDS_TOTAL - fixed) if cap is None else cap
    if description:
        embed.description = fit_text(description, cap)
    embed.clear_fields()
    for (name, value), is_inline in zip(fields, inline, strict=False):
        embed.add_field(name, fit_text(value, cap), inline=is_inline)
    if hidden:
        embed.add_field(*_hidden_note(hidden), inline=False)
    return embed


def select(
    custom_id: str,
    options: Sequence[disnake.SelectOption],
    placeholder: str,
) -> StringSelect[None]:
    """A dropdown of the first 25 options (labels and descriptions clipped to 100 characters);
    when some are left out the placeholder says how many."""
    shown = [
        disnake.SelectOption(
            label=clip(o.label, OPTION_TEXT),
            value=o.value,
            description=clip(o.description, OPTION_TEXT) if o.description else None,
            emoji=o.emoji,
            default=o.default,
        )
        for o in options[:SELECT_OPTIONS]
    ]
    left = len(options) - len(shown)
    text = f"{placeholder} {more(left)}" if left > 0 else placeholder
    return StringSelect(custom_id=custom_id, placeholder=clip(text, PLACEHOLDER), options=shown)


ChoiceInput = Mapping[str, str] | Iterable[str] | Iterable[disnake.OptionChoice]


def choices(found: ChoiceInput) -> list[disnake.OptionChoice]:
    """An autocomplete answer Discord accepts: at most 25 choices, names clipped to 100
    characters. A choice whose string value is over 100 characters is left out (a cut value
    would be another value)."""
    if isinstance(found, Mapping):
        pairs = [disnake.OptionChoice(str(name), value) for name, value in found.items()]
    else:
        pairs = [
            item if isinstance(item, disnake.OptionChoice) else disnake.OptionChoice(item, item)
            for item in found
        ]
    valid = [
        disnake.OptionChoice(clip(c.name, CHOICE_NAME) or ELLIPSIS, c.value)
        for c in pairs
        if not (isinstance(c.value, str) and not 0 < len(c.value) <= CHOICE_VALUE)
    ]
    return valid[:CHOICES]
