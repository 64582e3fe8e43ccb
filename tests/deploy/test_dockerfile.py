"""The Dockerfile (no docker here, so no build): a non-root image of `spotwise controller`."""

from __future__ import annotations

import fnmatch
import json
import re

from .conftest import DEPLOY, ROOT, documents

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    start = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[start:]


def user_id() -> int:
    users = [rest for word, rest in final_stage() if word == "USER"]
    assert users, "the image runs as root: add USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), "name the user by number, so that runAsNonRoot can check it"
    return int(uid)


def test_the_image_is_python_3_12_slim_and_pins_with_the_constraints() -> None:
    assert final_stage()[0] == ("FROM", "python:3.12-slim")
    assert all(
        rest.startswith("python:3.12-slim") for word, rest in instructions() if word == "FROM"
    )
    installs = [rest for word, rest in instructions() if word == "RUN" and "pip " in rest]
    assert any("-c constraints.txt" in rest for rest in installs)


def test_the_image_runs_as_a_non_root_user() -> None:
    assert user_id() == 65532
    # The USER comes after every step that needs root.
    words = [word for word, _ in final_stage()]
    assert "RUN" not in words[words.index("USER") :]


def test_the_deployment_runs_as_the_images_user() -> None:
    (deployment,) = documents(DEPLOY / "deployment.yaml")
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == user_id()


def test_the_entrypoint_is_spotwise_and_the_command_controller() -> None:
    stage = dict(final_stage())
    assert json.loads(stage["ENTRYPOINT"]) == ["spotwise"]
    assert json.loads(stage["CMD"]) == ["controller"]


def test_dockerignore_keeps_what_the_build_copies_and_drops_the_rest() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(
            fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path.split("/")[0], p) for p in patterns
        )

    copied = [
        source
        for word, rest in instructions()
        if word == "COPY" and "--from" not in rest
        for source in rest.split()[:-1]
    ]
    assert copied and not [c for c in copied if ignored(c.rstrip("/"))]
    for path in (".git", ".venv", "tests", "mutants", "src/spotwise/__pycache__"):
        assert ignored(path), path
