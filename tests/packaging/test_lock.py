"""The lock that scripts/setup installs from must cover what pyproject.toml asks for."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, set[str]]:
    """Package → its pinned versions (more than one where markers fork by Python version)."""
    found: dict[str, set[str]] = {}
    for name, version in PIN.findall((ROOT / "requirements" / lock).read_text(encoding="utf-8")):
        found.setdefault(canonicalize_name(name), set()).add(version)
    return found


def wanted(with_extras: bool) -> list[Requirement]:
    project = PYPROJECT["project"]
    texts = project["dependencies"] + PYPROJECT["build-system"]["requires"]
    if with_extras:
        texts += [text for extra in project["optional-dependencies"].values() for text in extra]
    return [Requirement(text) for text in texts]


@pytest.mark.parametrize(("lock", "with_extras"), [("base.txt", False), ("dev.txt", True)])
def test_the_lock_pins_every_requirement_within_its_range(lock: str, with_extras: bool) -> None:
    locked = pins(lock)
    missing = [str(r) for r in wanted(with_extras) if canonicalize_name(r.name) not in locked]
    outside = [
        f"{r.name}=={version} (pyproject: {r})"
        for r in wanted(with_extras)
        for version in locked.get(canonicalize_name(r.name), ())
        if not r.specifier.contains(version, prereleases=True)
    ]
    assert not missing and not outside, (
        f"requirements/{lock} is stale, run scripts/lock: missing {missing}, outside {outside}"
    )


def test_the_tools_lock_keeps_the_apps_versions() -> None:
    app, dev = pins("base.txt"), pins("dev.txt")
    differing = {name: (app[name], dev.get(name)) for name in app if dev.get(name) != app[name]}
    assert not differing, f"run scripts/lock: {differing}"
