"""dbsbm-hello: a third-party plugin with a setting, a model, a migration and a command."""

from __future__ import annotations

import disnake
from disnake.ext import commands
from pydantic import BaseModel, ConfigDict

from core.plugin import Plugin, PluginContext
from core.validation import free_text


class HelloSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    greeting: str = "Hello"


async def setup(ctx: PluginContext) -> None:
    from dbsbm_hello.models import Greeting

    settings = ctx.settings
    assert isinstance(settings, HelloSettings)

    @commands.slash_command(name="hello", description="Say hello and count the greetings")
    async def hello(inter: disnake.ApplicationCommandInteraction, name: str = "world") -> None:
        text = free_text(name, field="name", max_length=100)
        await Greeting.create(guild_id=inter.guild_id, user_id=inter.author.id, text=text)
        count = await Greeting.filter(user_id=inter.author.id).count()
        # no allowed_mentions: the core's default (none) keeps "@everyone" from pinging
        await inter.response.send_message(f"{settings.greeting}, {text}! (greeting #{count})")

    ctx.add_command(hello)


plugin = Plugin(
    name="hello",
    version="1.0.0",
    description="Says hello; an example third-party plugin.",
    models=("dbsbm_hello.models",),
    settings_model=HelloSettings,
    setup=setup,
)
