"""The dbsbm command line, run as a real process: help, plugins list, config show, check, run
without a token, bad config (named where it was set), variables that name no setting, secrets
kept out of the logs (the sandbox with a plugin failing on its secret), and migrate creating every
plugin's tables on each database."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from db_backends import BACKENDS, fresh_database

from core.app import App
from core.cli import build_parser
from core.database import Database
from core.migrations import applied, migration_files
from core.settings import Settings

REPO = Path(__file__).resolve().parents[2]
FIRST_PARTY = ["admin", "audit", "betting", "metrics", "weather"]


def dbsbm(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DBSBM_") or k.startswith("DBSBM_TEST")
    }
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with the repository's config.toml and a data dir of its own."""
    (tmp_path / "config.toml").write_text((REPO / "config.toml").read_text(), encoding="utf-8")
    return tmp_path


def test_help_for_every_command(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = dbsbm("--help", cwd=workdir)
    assert top.returncode == 0
    commands = ("run", "sandbox", "migrate", "makemigrations", "plugins", "check", "config")
    for command in commands:
        assert command in top.stdout
        with pytest.raises(SystemExit) as exit_:
            build_parser().parse_args([command, "--help"])
        assert exit_.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: dbsbm {command}")


def test_plugins_list_shows_the_five_plugins_and_their_state(workdir: Path) -> None:
    result = dbsbm("plugins", "list", cwd=workdir)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:]}
    for name in FIRST_PARTY:
        assert lines[name][2:4] == ["yes", "local"], lines[name]
        assert lines[name][-1] == "ready"
    assert lines["hello"][2] == "no"  # installed through an entry point: off until enabled
    assert "optional: betting" in " ".join(lines["weather"])


def test_config_show_masks_secrets(workdir: Path) -> None:
    env = {"DBSBM_DISCORD__TOKEN": "abc.def.ghi", "DBSBM_DATABASE__URL": "postgres://u:pw9@h/db"}
    result = dbsbm("config", "show", cwd=workdir, env=env)
    assert result.returncode == 0, result.stderr
    assert "abc.def.ghi" not in result.stdout and "pw9" not in result.stdout
    assert '"token": "********"' in result.stdout
    assert "postgres://u:********@h/db" in result.stdout


def test_run_without_a_token_points_to_the_sandbox(workdir: Path) -> None:
    result = dbsbm("run", cwd=workdir)
    assert result.returncode == 2
    assert "No Discord token is configured" in result.stderr
    assert "uv run dbsbm sandbox" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_is_one_line_and_exit_2(workdir: Path) -> None:
    (workdir / "config.toml").write_text("[plugins.bogus]\nenabled = true\n", encoding="utf-8")
    result = dbsbm("plugins", "list", cwd=workdir)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        "error: config.toml: [plugins] bogus: unknown plugin 'bogus' (installed: admin, "
    )
    assert "Traceback" not in result.stderr


def test_an_unknown_plugin_from_a_variable_names_the_variable(workdir: Path) -> None:
    result = dbsbm("check", cwd=workdir, env={"DBSBM_PLUGINS__BOGUS__ENABLED": "true"})
    expected = (
        "FAIL  config and plugins: environment variable DBSBM_PLUGINS__BOGUS__ENABLED: "
        "unknown plugin 'bogus' (installed: admin, "
    )
    assert expected in result.stdout, result.stdout + result.stderr
    assert result.returncode == 1


def test_check_reports_each_component(workdir: Path) -> None:
    ok = dbsbm("check", cwd=workdir)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ok    database: sqlite://data/dbsbm.sqlite3" in ok.stdout
    assert "ok    cache:" in ok.stdout
    down = dbsbm(
        "check", cwd=workdir, env={"DBSBM_DATABASE__URL": "postgres://bot@127.0.0.1:9/bot"}
    )
    assert down.returncode == 1
    assert (
        "FAIL  database: cannot reach the database at postgres://bot@127.0.0.1:9/bot" in down.stdout
    )


@pytest.mark.parametrize("kind", BACKENDS)
async def test_migrate_creates_every_plugins_tables(kind: str, workdir: Path) -> None:
    async with fresh_database(kind, workdir) as url:
        first = dbsbm("migrate", cwd=workdir, env={"DBSBM_DATABASE__URL": url})
        assert first.returncode == 0, first.stdout + first.stderr
        assert "Migrating" in first.stdout and "applied" in first.stdout
        again = dbsbm("migrate", cwd=workdir, env={"DBSBM_DATABASE__URL": url})
        assert again.stdout.strip().endswith("Done: everything was up to date.")

        app = App(Settings(database={"url": url}))
        specs = app.app_specs(app.prepare_enabled())
        assert sorted(s.label for s in specs) == ["admin", "audit", "betting", "dashboard"]
        db = Database(url)
        await db.connect(specs)
        try:
            for spec in specs:
                assert await applied(None, spec) == [p.name for p in migration_files(spec)]
                for model in db.context.apps[spec.label].values():  # type: ignore[index]
                    assert await model.all().count() == 0  # the table exists with its columns
        finally:
            await db.close()


def test_bad_rate_limit_is_a_config_error(workdir: Path) -> None:
    config = workdir / "config.toml"
    config.write_text(config.read_text().replace('default = "10/60s"', 'default = "5/60x"'))
    result = dbsbm("plugins", "list", cwd=workdir)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        "error: config.toml: [ratelimit] default: invalid rate limit '5/60x'; expected "
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "where"),
    [
        ("DBSBM_RATELIMIT__DEFAULT", "5/60x", "environment variable DBSBM_RATELIMIT__DEFAULT"),
        (
            "DBSBM_RATELIMIT__COMMANDS",
            '{"bet": "0/60s"}',
            "environment variable DBSBM_RATELIMIT__COMMANDS: bet",
        ),
    ],
)
def test_a_bad_rate_limit_from_a_variable_names_the_variable(
    workdir: Path, name: str, value: str, where: str
) -> None:
    result = dbsbm("plugins", "list", cwd=workdir, env={name: value})
    assert result.returncode == 2
    limit = value if name.endswith("DEFAULT") else "0/60s"
    assert result.stderr.strip().startswith(f"error: {where}: invalid rate limit {limit!r}; ")


def test_a_bad_variable_is_named_not_config_toml(workdir: Path) -> None:
    result = dbsbm("check", cwd=workdir, env={"DBSBM_DATABASE__POOL_SIZE": "abc"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: environment variable DBSBM_DATABASE__POOL_SIZE: Input should be a valid "
        "integer, unable to parse string as an integer (got 'abc')"
    )
    (workdir / ".env").write_text("DBSBM_DATABASE__POOL_SIZE=abc\n", encoding="utf-8")
    result = dbsbm("check", cwd=workdir)
    assert result.stderr.strip().startswith("error: .env: DBSBM_DATABASE__POOL_SIZE: ")


def test_variables_that_name_no_setting_are_warned_about_at_start(workdir: Path) -> None:
    (workdir / ".env").write_text(
        "DBSBM_CACHE__DEFAULT_TTL=60\nDBSBM_WEATHER_KEY=k\nPOSTGRES_PASSWORD=pw\n",
        encoding="utf-8",
    )
    env = {
        "DBSBM_DATABSE__URL": "postgres://bot@db/bot",
        "DBSBM_DISCORD__TOKEN": "abc.def.ghi",
        "DBSBM_CONFIG": "config.toml",
        "DBSBM_DISCORD_SPEC": str(workdir / "openapi.json"),
        "DBSBM_TEST_SOMETHING": "1",
        "DBSBM_BENCH_PROFILE": str(workdir / "bot.prof"),
    }
    result = dbsbm("config", "show", cwd=workdir, env=env)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 2, result.stderr
    assert warnings[0].endswith(
        "environment variable DBSBM_DATABSE__URL matches no setting and is ignored "
        "(did you mean DBSBM_DATABASE__URL?)"
    )
    assert warnings[1].endswith(".env: DBSBM_WEATHER_KEY matches no setting and is ignored")
    assert '"default_ttl": 60' in result.stdout and "sqlite://" in result.stdout


def test_config_show_fails_when_plugin_settings_are_invalid(workdir: Path) -> None:
    env = {"DBSBM_PLUGINS__WEATHER__ATTEMPTS": "many", "DBSBM_PLUGINS__METRICS__PATH": "5"}
    ok = dbsbm("config", "show", cwd=workdir, env={"DBSBM_PLUGINS__WEATHER__ATTEMPTS": "2"})
    assert ok.returncode == 0, ok.stderr
    result = dbsbm("config", "show", cwd=workdir, env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [  # every invalid plugin, one line each
        "error: environment variable DBSBM_PLUGINS__METRICS__PATH: String should match pattern "
        "'^/[A-Za-z0-9/_.-]*$' (got '5')",
        "error: environment variable DBSBM_PLUGINS__WEATHER__ATTEMPTS: Input should be a valid "
        "integer, unable to parse string as an integer (got 'many')",
    ]
    (workdir / "config.toml").write_text("[plugins.wether]\n", encoding="utf-8")
    result = dbsbm("config", "show", cwd=workdir)
    assert result.returncode == 2
    assert result.stderr.startswith("error: config.toml: [plugins] wether: unknown plugin")


def test_check_with_an_invalid_config_creates_no_database(workdir: Path) -> None:
    before = sorted(workdir.rglob("*"))
    env = {"DBSBM_PLUGINS__WEATHER__ATTEMPTS": "many"}
    result = dbsbm("check", cwd=workdir, env=env)
    assert result.returncode == 1
    assert "FAIL  config and plugins: environment variable DBSBM_PLUGINS__WEATHER__ATTEMPTS" in (
        result.stdout
    )
    assert "FAIL  database: not checked: the config is invalid" in result.stdout
    assert sorted(workdir.rglob("*")) == before  # no data folder, no SQLite file
    ok = dbsbm("check", cwd=workdir)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert (workdir / "data" / "dbsbm.sqlite3").exists()


SECRETIVE_PLUGIN = '''
"""Its setup fails at a webhook, with the webhook's secret URL and the bot token in the error."""

from loguru import logger
from pydantic import BaseModel, SecretStr

from core.plugin import Plugin


class Settings(BaseModel):
    webhook: SecretStr  # a secret whose name says nothing of it


async def setup(ctx):
    webhook = ctx.settings.webhook.get_secret_value()
    token = ctx.app.settings.discord.token.get_secret_value()
    try:
        raise ConnectionRefusedError(f"{webhook} refused the bot token {token}")
    except ConnectionRefusedError:
        logger.exception("the webhook is unreachable")
    raise RuntimeError(f"the webhook {webhook} refused the bot token {token}")


plugin = Plugin(name="secretive", version="1.0", settings_model=Settings, setup=setup)
'''


def install_plugin(site: Path, name: str, code: str) -> None:
    """An installed third-party plugin: a package and its distribution's entry point."""
    (site / f"{name}_plugin").mkdir(parents=True)
    (site / f"{name}_plugin" / "__init__.py").write_text(code, encoding="utf-8")
    dist = site / f"{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[dbsbm.plugins]\n{name} = {name}_plugin:plugin\n")


def test_plugin_secrets_and_the_token_never_reach_the_logs(workdir: Path) -> None:
    """The sandbox (the real App on the local Discord) with a plugin whose setup logs and raises
    an error holding its SecretStr setting and the Discord token: the log file, standard error
    and the transcript name the failure, never the secrets."""
    site = workdir / "site"
    install_plugin(site, "secretive", SECRETIVE_PLUGIN)
    off = "".join(f"[plugins.{name}]\nenabled = false\n" for name in FIRST_PARTY)
    (workdir / "config.toml").write_text(f"{off}[plugins.secretive]\nenabled = true\n")
    (workdir / "script.txt").write_text("# the bot runs without the plugin\n", encoding="utf-8")
    webhook, token = "hook-" + secrets.token_hex(8), "bot." + secrets.token_hex(12)
    env = {
        "PYTHONPATH": str(site),
        "DBSBM_DISCORD__TOKEN": token,
        "DBSBM_PLUGINS__SECRETIVE__WEBHOOK": webhook,
    }
    result = dbsbm("sandbox", "--script", "script.txt", cwd=workdir, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    log = (workdir / "data" / "sandbox" / "sandbox.log").read_text(encoding="utf-8")
    failure = (
        "plugin secretive not loaded: plugin 'secretive' failed to load: RuntimeError: "
        "the webhook ******** refused the bot token ********"
    )
    for text in (log, result.stderr):
        assert failure in text, text
    assert "the webhook is unreachable\nTraceback (most recent call last)" in log
    assert "ConnectionRefusedError: ******** refused the bot token ********" in log
    assert "not loaded: secretive: plugin 'secretive' failed to load" in result.stdout
    for text in (log, result.stderr, result.stdout):
        assert webhook not in text and token not in text


def test_web_port_in_use_is_a_config_error(workdir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "DBSBM_DISCORD__TOKEN": "not-checked-before-the-web-server",
            "DBSBM_WEB__PORT": str(port),
        }
        result = dbsbm("run", cwd=workdir, env=env)
    assert result.returncode == 2
    assert f"error: [web] port: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


HEAVY = ("disnake", "tortoise", "aerich", "redis", "aiohttp")


@pytest.mark.parametrize("argv", [["--help"], ["plugins", "list"], ["run", "--help"]])
def test_help_and_plugins_list_import_no_heavy_library(workdir: Path, argv: list[str]) -> None:
    """What makes them start fast: neither imports a plugin, the ORM, disnake or redis-py."""
    code = (
        "import sys\nfrom core.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "[]", result.stdout + result.stderr


def test_plugin_commands_are_listed_and_run_through_the_plugins(workdir: Path) -> None:
    top = dbsbm("--help", cwd=workdir)
    assert "dbsbm plugins commands lists them" in " ".join(top.stdout.split())
    listed = dbsbm("plugins", "commands", cwd=workdir)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[1]: line.split()[2] for line in listed.stdout.splitlines()[2:]}
    assert rows == {"backup": "admin", "restore": "admin", "audit": "audit"}
    verify = dbsbm("audit", "verify", "--help", cwd=workdir)
    assert verify.returncode == 0 and verify.stdout.startswith("usage: dbsbm audit verify")


def test_plugins_list_reads_an_installed_plugins_declaration(workdir: Path) -> None:
    """An entry-point plugin whose dependency is not enabled waits for it; one that is not a
    literal declaration is imported to be read; one that fails to import says why."""
    site = workdir / "site"
    install_plugin(
        site,
        "needy",
        'from core.plugin import Plugin\nplugin = Plugin(name="needy", version="2.1", '
        'depends_on=("nowhere",))\n',
    )
    install_plugin(
        site,
        "computed",
        "from core.plugin import Plugin\nV = '3.0'\nplugin = Plugin(name='computed', version=V)\n",
    )
    install_plugin(site, "broken", "raise RuntimeError('no luck')\n")
    sections = "".join(f"[plugins.{n}]\nenabled = true\n" for n in ("needy", "computed"))
    (workdir / "config.toml").write_text(sections, encoding="utf-8")
    result = dbsbm("plugins", "list", cwd=workdir, env={"PYTHONPATH": str(site)})
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[2:]}
    assert lines["needy"].split()[1] == "2.1"
    assert lines["needy"].endswith("waits for nowhere (not enabled)")
    assert lines["computed"].split()[1] == "3.0" and lines["computed"].endswith("ready")
    assert lines["broken"].endswith(
        "error: plugin 'broken': failed to import: RuntimeError: no luck"
    )
