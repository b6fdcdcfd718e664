"""The betting plugin's slash commands, one module per command or group:

- ``/bet``: :mod:`.bet` (the group) with ``straight`` in :mod:`.bet_straight`, ``new`` and
  ``parlay`` in :mod:`.bet_menus`, ``cancel``, ``show`` and ``list`` in :mod:`.bet_picks`,
  ``grade`` in :mod:`.bet_grade`;
- ``/stats``: :mod:`.stats`; ``/leaderboard``: :mod:`.leaderboard`; ``/setup``: :mod:`.setup`;
  ``/game add|result``: :mod:`.game`.

Each module's ``build(betting)`` makes its command (``add(bet, betting)`` adds sub-commands to
``/bet``), fresh objects closing over the plugin's :class:`~plugins.betting.service.Betting`
service: no module-level state, so a reload gets new objects. Who may run what is checked with
:mod:`plugins.betting.access`.
"""

from __future__ import annotations

from disnake.ext.commands import InvokableSlashCommand

from plugins.betting.commands import bet, game, leaderboard, setup, stats
from plugins.betting.commands.bet_picks import on_list_page
from plugins.betting.commands.leaderboard import on_board_page
from plugins.betting.service import Betting

__all__ = ["build_commands", "on_board_page", "on_list_page"]


def build_commands(betting: Betting) -> list[InvokableSlashCommand]:
    """Every command of the plugin, for ``setup`` to add through its context."""
    return [module.build(betting) for module in (bet, stats, leaderboard, setup, game)]
