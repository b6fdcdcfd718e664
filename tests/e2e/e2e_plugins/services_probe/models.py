"""The services probe's tables: a named counter per guild and the stakes members placed."""

from tortoise import fields
from tortoise.models import Model


class Counter(Model):
    """A per-guild number that ``/svc bump`` raises and ``/svc show`` reads through the cache."""

    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField()
    name = fields.CharField(max_length=50)
    value = fields.IntField(default=0)

    class Meta:
        table = "services_probe_counter"
        unique_together = (("guild_id", "name"),)


class Stake(Model):
    """A validated bet amount (``/svc stake``)."""

    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField()
    user_id = fields.BigIntField()
    units = fields.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        table = "services_probe_stake"
