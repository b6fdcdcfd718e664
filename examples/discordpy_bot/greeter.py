"""A plain discord.py bot, built on nothing but discord.py: /greet a member, with a button to
wave back, and /count, which thinks first (a deferred answer) and then counts in followups."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands


class WaveBack(discord.ui.View):
    @discord.ui.button(label="Wave", custom_id="wave")
    async def wave(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(
            content=f"{interaction.user.display_name} waved", view=None
        )


class Greeter(discord.Client):
    def __init__(self, **options: Any) -> None:
        super().__init__(intents=discord.Intents.default(), **options)
        self.tree = app_commands.CommandTree(self)

        @self.tree.command()
        async def greet(interaction: discord.Interaction, who: discord.Member) -> None:
            """Greet a member, with a button to wave back."""
            await interaction.response.send_message(f"Hello {who.display_name}!", view=WaveBack())

        @self.tree.command()
        @app_commands.describe(upto="the last number")
        async def count(interaction: discord.Interaction, upto: int) -> None:
            """Count to a number, one followup each."""
            await interaction.response.defer(thinking=True)
            for number in range(1, upto + 1):
                await interaction.followup.send(str(number))

    async def setup_hook(self) -> None:
        await self.tree.sync()  # register the slash commands, as on Discord


if __name__ == "__main__":
    import os

    Greeter().run(os.environ["DISCORD_TOKEN"])
