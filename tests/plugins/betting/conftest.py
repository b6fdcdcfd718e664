"""Fixtures of the tests in this folder (defined in betting_support.py and web_support.py)."""

from betting_support import betting_db, make_game, world  # noqa: F401
from web_support import security, site  # noqa: F401
