"""pytest fixtures of the local Discord."""
