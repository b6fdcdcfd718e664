"""The marks the admin replies share: ✅ for what worked or is on, ❌ for what failed or is off."""

OK, FAIL = "✅", "❌"


def mark(ok: bool) -> str:
    return OK if ok else FAIL
