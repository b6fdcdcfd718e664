"""The hello plugin's one table."""

from tortoise import fields
from tortoise.models import Model


class Greeting(Model):
    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField(null=True)
    user_id = fields.BigIntField()
    text = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hello_greeting"
