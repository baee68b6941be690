from __future__ import annotations

import ast
from pathlib import Path

import fnship.manifest

PACKAGE = Path(fnship.manifest.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_boto3_and_yaml_only_in_the_loader():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        modules = imported_modules(path)
        assert not modules & {"boto3", "botocore"}, path
        if path.name != "loader.py":
            assert "yaml" not in modules, path
    assert "yaml" in imported_modules(PACKAGE / "loader.py")
