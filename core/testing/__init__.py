"""The local Discord: a loopback Discord server that the unmodified disnake client talks to.

See ``docs/TESTING_PLUGINS.md``.
"""

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
    "LocalDiscord",
    "Message",
    "Response",
    "World",
    "bot_kwargs",
    "connect_bot",
    "default_world",
]
