"""The folder of the probe plugins that the core's end-to-end tests load."""

from __future__ import annotations

from pathlib import Path

E2E_PLUGINS = Path(__file__).parent / "e2e_plugins"
