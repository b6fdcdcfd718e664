"""Betting on the web dashboard and in ``/api/v1`` (served by the dashboard plugin, when it is
loaded): pages in :mod:`.pages` (templates in ``plugins/betting/templates/``), endpoints in
:mod:`.api`, their models in :mod:`.models`; both read through :mod:`.reads`."""

from __future__ import annotations

from core.plugin import PluginContext
from plugins.betting.service import Betting
from plugins.betting.web.api import BettingApi
from plugins.betting.web.pages import BettingPages
from plugins.betting.web.reads import Reads


def declare(ctx: PluginContext, betting: Betting) -> None:
    """Declare the betting pages and endpoints through the plugin's context."""
    read = Reads(betting)
    for page in BettingPages(betting, read).pages():
        ctx.add_page(page)
    for endpoint in BettingApi(betting, read).endpoints():
        ctx.add_endpoint(endpoint)
