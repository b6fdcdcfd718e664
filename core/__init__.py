"""DBSBM core: the plugin framework. Nothing betting-specific lives here."""

__version__ = "0.1.0"
