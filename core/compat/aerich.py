"""aerich internals DBSBM relies on (checked against the series in ``CHECKED``).

aerich keeps a diff's state on the ``Migrate`` class (operators, the app, the dialect, the DDL
generator, rename maps, ``_last_version_content``, ``_db_version``) and exposes the diff only
through its CLI flow. :func:`diff_operators` sets that state for one app and dialect, runs
``diff_models`` both ways with ``_exclude_model_name_changes`` and ``_merge_operators`` as the
CLI does, and clears the state again, so diffs of different apps never see each other's SQL.
"""

from __future__ import annotations

import copy
import importlib
from pathlib import Path

from aerich.migrate import Migrate
from tortoise.backends.base.client import BaseDBAsyncClient

PACKAGE = "aerich"
CHECKED = ("0.10",)


def _clear() -> None:
    """Forget the operators a diff (of any app) left on the ``Migrate`` class."""
    Migrate.upgrade_operators = []
    Migrate.downgrade_operators = []
    Migrate._upgrade_fk_m2m_index_operators = []
    Migrate._downgrade_fk_m2m_index_operators = []
    Migrate._upgrade_m2m = []
    Migrate._downgrade_m2m = []
    Migrate._rename_fields = {}
    Migrate._rename_models = {}


def _prepare(label: str, location: Path, dialect: str, conn: BaseDBAsyncClient, last: dict) -> None:
    """Point the ``Migrate`` class at one app and dialect, with no leftover state."""
    _clear()
    Migrate._last_version_content = last
    Migrate._db_version = None  # MySQL 8 / MariaDB 10.5+ syntax (RENAME COLUMN)
    Migrate.app = label
    Migrate.migrate_location = location
    Migrate.dialect = dialect
    module = importlib.import_module(f"aerich.ddl.{dialect}")
    Migrate.ddl_class = getattr(module, f"{dialect.capitalize()}DDL")
    Migrate.ddl = Migrate.ddl_class(conn)


def diff_operators(
    label: str,
    location: Path,
    dialect: str,
    conn: BaseDBAsyncClient,
    last: dict,
    new: dict,
) -> tuple[list[str], list[str]]:
    """aerich's upgrade and downgrade SQL operators from the models described by ``last`` to
    those described by ``new`` (``get_models_describe`` output), for ``dialect``."""
    _prepare(label, location, dialect, conn, last)
    try:
        old, current = Migrate._exclude_model_name_changes(copy.deepcopy(last), copy.deepcopy(new))
        Migrate.diff_models(copy.deepcopy(old), copy.deepcopy(current), no_input=True)
        Migrate.diff_models(copy.deepcopy(current), copy.deepcopy(old), False, no_input=True)
        Migrate._merge_operators()
        return list(Migrate.upgrade_operators), list(Migrate.downgrade_operators)
    finally:
        _clear()  # or a later aerich run in this process writes our SQL
