"""The first-party plugins of DBSBM (each sub-package exposes ``plugin``)."""
