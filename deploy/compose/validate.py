"""Validate docker-compose.yml without a Docker engine.

1. The file is valid against the Compose Specification's JSON schema (``deploy/compose-spec.json``).
2. What the schema cannot see: ``depends_on`` targets exist and share a profile with their
   dependants, ``service_healthy`` targets have a health check, named volumes are declared,
   bind-mounted files and folders exist, and every ``${VARIABLE}`` the file interpolates is
   documented in ``.env.example``.

Usage (``.ci/checks`` runs it; ``tests/deploy`` tests it)::

    uv run python deploy/compose/validate.py [docker-compose.yml]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "deploy" / "compose-spec.json"
ENV_EXAMPLE = ROOT / ".env.example"

# ${NAME}, ${NAME:-default}, ${NAME:?error}, ... but not $${escaped}
_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:]?[-?+][^}]*)?\}")
_ENV_LINE = re.compile(r"^\s*#?\s*([A-Z_][A-Z0-9_]*)=", re.MULTILINE)


def load(path: Path) -> dict[str, Any]:
    """The compose file as data (YAML merge keys resolved, as compose does)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a mapping at the top level")
    return doc


def schema_errors(doc: dict[str, Any], schema_path: Path = SCHEMA) -> list[str]:
    """Violations of the Compose Specification's schema, one line each."""
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}"
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path)))
    ]


def interpolated_variables(text: str) -> set[str]:
    """The ``${VARIABLE}`` names a compose file interpolates."""
    return set(_VARIABLE.findall(text))


def documented_variables(env_example: str) -> set[str]:
    """Variable names in an ``.env.example`` (commented-out optional ones included)."""
    return set(_ENV_LINE.findall(env_example))


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def consistency_errors(doc: dict[str, Any], root: Path = ROOT) -> list[str]:
    """What the schema cannot check: references between services, volumes and files."""
    errors: list[str] = []
    services: dict[str, dict[str, Any]] = doc.get("services") or {}
    volumes = set(doc.get("volumes") or {})
    for name, service in services.items():
        profiles = set(service.get("profiles") or ())
        for dep, condition in _depends_on(service).items():
            target = services.get(dep)
            if target is None:
                errors.append(f"services/{name}: depends on {dep!r}, which is not a service")
                continue
            dep_profiles = set(target.get("profiles") or ())
            if dep_profiles and not (profiles and profiles <= dep_profiles):
                errors.append(
                    f"services/{name}: depends on {dep!r}, which only runs with the profiles "
                    f"{sorted(dep_profiles)}: give {name!r} the same profiles"
                )
            if condition == "service_healthy" and "healthcheck" not in target:
                errors.append(
                    f"services/{name}: waits for {dep!r} to be healthy, which has no healthcheck"
                )
        for mount in service.get("volumes") or ():
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount.get("source", "")
            if source.startswith((".", "/")):
                if not (root / source).exists():
                    errors.append(f"services/{name}: bind mount {source} does not exist")
            elif source and source not in volumes:
                errors.append(f"services/{name}: volume {source!r} is not declared under volumes")
    return errors


def undocumented_variables(compose_text: str, env_example_text: str) -> list[str]:
    """Variables the compose file interpolates that ``.env.example`` does not document."""
    missing = interpolated_variables(compose_text) - documented_variables(env_example_text)
    return [
        f"${{{v}}} is used in the compose file but not documented in .env.example"
        for v in sorted(missing)
    ]


def validate(path: Path, root: Path = ROOT) -> list[str]:
    """Every problem found in the compose file at ``path`` (empty when it is valid)."""
    text = path.read_text(encoding="utf-8")
    doc = load(path)
    env_example = (root / ".env.example").read_text(encoding="utf-8")
    return [
        *schema_errors(doc),
        *consistency_errors(doc, root),
        *undocumented_variables(text, env_example),
    ]


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else ROOT / "docker-compose.yml"
    errors = validate(path)
    for error in errors:
        print(f"{path.name}: {error}", file=sys.stderr)
    if errors:
        return 1
    print(f"{path.name}: valid against the Compose Specification ({SCHEMA.name}) and consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
