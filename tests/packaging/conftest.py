"""Fixtures for the packaging tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packaging.helpers import write_tree


@pytest.fixture
def service(tmp_path: Path) -> Path:
    root = tmp_path / "service"
    write_tree(
        root,
        {
            "serverless.yml": "service: svc\n",
            "handler.py": "def main(event, context):\n    return 1\n",
            "lib/util.py": "X = 1\n",
            "lib/data.json": '{"a": 1}\n',
            "tests/test_handler.py": "def test(): pass\n",
            ".git/HEAD": "ref: refs/heads/main\n",
            "lib/__pycache__/util.cpython-312.pyc": b"\x00\x01",
            ".venv/lib/site.py": "x = 1\n",
        },
    )
    return root
