"""The key of a Dockerfile build covers the build context as the engine sees it: `.dockerignore` decides
(https://docs.docker.com/build/concepts/context/#dockerignore-files), so fnship's own outputs under the context
(`.fn/build/...`) do not make the next plan rebuild the image."""

from __future__ import annotations

from pathlib import Path

import pytest

from fnship.errors import FnError
from fnship.packaging.images import context_digest

CONTEXT = {
    "Dockerfile": "FROM scratch\n",
    "handler.py": "def handle(event, context):\n    return 1\n",
    "README.md": "# svc\n",
    "tests/test_handler.py": "def test(): pass\n",
    "docs/keep.md": "kept\n",
    "docs/drop.md": "dropped\n",
}


def make(root: Path, dockerignore: str | None) -> Path:
    for name, text in CONTEXT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    if dockerignore is not None:
        (root / ".dockerignore").write_text(dockerignore)
    return root


@pytest.mark.parametrize(
    ("dockerignore", "written", "changes"),
    [
        # the blueprint's own .dockerignore: fnship's build outputs, tests and docs are not in the image
        ("tests/\nREADME.md\n.fn/\n", ".fn/build/dev/images/app/index.json", False),
        ("tests/\nREADME.md\n.fn/\n", "tests/test_more.py", False),
        ("tests/\nREADME.md\n.fn/\n", "README.md", False),
        ("tests/\nREADME.md\n.fn/\n", "handler.py", True),
        ("tests/\nREADME.md\n.fn/\n", ".fnx/other", True),  # `.fn/` names that directory only
        (None, ".fn/build/dev/images/app/index.json", True),  # no .dockerignore: the engine sees everything
        ("# a comment\n\n/.fn\n", ".fn/build/x", False),  # a leading `/` is the context's root
        ("docs\n!docs/keep.md\n", "docs/drop.md", False),  # later lines win: `!` brings a file back
        ("docs\n!docs/keep.md\n", "docs/keep.md", True),
        ("**/*.md\n", "docs/deep/new.md", False),  # `**` spans directories
        ("**/*.md\n", "docs/deep/new.txt", True),
        ("*.md\n", "docs/new.md", True),  # `*` stays within one directory: root-level .md files only
        ("*.md\n", "NOTES.md", False),
        ("tests/\n", "lib/__pycache__/x.pyc", False),  # bytecode caches never count
    ],
)
def test_only_what_the_engine_sees_changes_the_key(tmp_path: Path, dockerignore, written, changes):
    root = make(tmp_path / "ctx", dockerignore)
    before = context_digest(root)
    (root / written).parent.mkdir(parents=True, exist_ok=True)
    (root / written).write_text("new or changed\n")
    assert (context_digest(root) != before) is changes


def test_a_line_leaving_the_context_is_an_error_naming_the_line(tmp_path: Path):
    root = make(tmp_path / "ctx", "tests/\n../secrets\n")
    with pytest.raises(FnError) as raised:
        context_digest(root)
    assert f"{root / '.dockerignore'}:2:" in raised.value.message
    assert "leaves the service directory" in raised.value.message
