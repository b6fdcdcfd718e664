"""The guided flow (``/bet new``) and the parlay builder (``/bet parlay``).

State lives in custom ids and in :class:`~plugins.betting.models.Draft` rows, never in memory:

- ``betnew:<draft>:league`` → ``betnew:<draft>:game`` → ``betnew:<draft>:market:<game>`` →
  ``betnew:<draft>:side:<game>:<market>`` (selects), then the modal
  ``betnew:<draft>:modal:<game>:<market>:<side>``. ``<draft>`` is ``0`` for a straight pick,
  else the parlay draft the leg is added to.
- ``betdraft:place:<id>`` / ``betdraft:cancel:<id>`` confirm or drop a draft;
  ``betparlay:add:<id>`` starts the flow for one more parlay leg.

Modules: :mod:`.custom_ids` (the prefixes), :mod:`.steps` (the selects), :mod:`.modal` (the
form and its fields), :mod:`.submitted` (what a submitted form drafts), :mod:`.drafts` (a
member's open draft, its confirm buttons, the parlay builder's view), :mod:`.draft_buttons`
(``Add leg``, placing and cancelling a draft).
"""

from __future__ import annotations

from plugins.betting.flow.custom_ids import DRAFT, FLOW, PARLAY
from plugins.betting.flow.draft_buttons import on_draft, on_parlay
from plugins.betting.flow.drafts import parlay_view
from plugins.betting.flow.steps import game_label, on_flow, start

__all__ = [
    "DRAFT",
    "FLOW",
    "PARLAY",
    "game_label",
    "on_draft",
    "on_flow",
    "on_parlay",
    "parlay_view",
    "start",
]
