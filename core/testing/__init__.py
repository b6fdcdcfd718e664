"""The local Discord: a loopback Discord server that the unmodified disnake client talks to."""
