"""The custom-id prefixes of the guided flow and of a draft's buttons (the ids they lead are
described in :mod:`plugins.betting.flow`)."""

from __future__ import annotations

FLOW = "betnew"
DRAFT = "betdraft"
PARLAY = "betparlay"
NO_SIDE = "-"
"""The side in a prop's modal custom id: a prop's side is read from what the member types."""
