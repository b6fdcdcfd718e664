"""A probe of the core services (rate limits, cache, recovery, validation) for the end-to-end
tests in ``tests/e2e/test_services_e2e.py``; not a product plugin."""

from __future__ import annotations

from pathlib import Path

from core.events import InteractionInfo, RecoveryAction, RecoveryKind
from core.hookspecs import hookimpl
from core.plugin import Plugin, PluginContext

from .commands import ProbeTransient, build_commands

RETRY_ATTEMPTS = 3
TRANSIENT_MESSAGE = "The probe's source kept failing. Try again later."


async def setup(ctx: PluginContext) -> None:
    for command in build_commands(ctx):
        ctx.add_command(command)


@hookimpl
def dbsbm_error_recovery(
    error: BaseException, info: InteractionInfo | None, attempt: int
) -> RecoveryAction | None:
    """Retry the probe's transient failures quickly; leave every other error to the core."""
    if isinstance(error, ProbeTransient):
        return RecoveryAction(
            RecoveryKind.RETRY, TRANSIENT_MESSAGE, max_attempts=RETRY_ATTEMPTS, base_delay=0.01
        )
    return None


plugin = Plugin(
    name="services_probe",
    version="0.0.1",
    models=("e2e_plugins.services_probe.models",),
    migrations=Path(__file__).parent / "migrations",
    setup=setup,
)
