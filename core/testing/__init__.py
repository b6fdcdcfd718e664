"""The local Discord: a loopback Discord server that the unmodified disnake client talks to,
and faults for the bot's backends (:class:`FaultProxy`, :func:`hold_sqlite_lock`).

See ``docs/TESTING_PLUGINS.md``.
"""

from core.testing.backends import FaultProxy, ProxyStats, hold_sqlite_lock
from core.testing.client import bot_kwargs, connect_bot
from core.testing.driver import Actor, Attachment, Callback, Message, Response
from core.testing.interactions import BotDidNotAnswer
from core.testing.server import LocalDiscord, default_world
from core.testing.state import World

__all__ = [
    "Actor",
    "Attachment",
    "BotDidNotAnswer",
    "Callback",
    "FaultProxy",
    "LocalDiscord",
    "Message",
    "ProxyStats",
    "Response",
    "World",
    "bot_kwargs",
    "connect_bot",
    "default_world",
    "hold_sqlite_lock",
]
