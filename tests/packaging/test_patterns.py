from __future__ import annotations

import os
from pathlib import Path

import pytest

from fnship.packaging.patterns import DEFAULT_EXCLUDES, PatternSet, pattern_problem, select, walk
from tests.packaging.helpers import write_tree

PATHS = [
    "handler.py",
    "serverless.yml",
    ".env",
    "lib/util.py",
    "lib/deep/x/y.py",
    "lib/data.json",
    "tests/test_a.py",
    "tests/fixtures/big.json",
    "docs/readme.md",
    "node_modules/pkg/index.js",
    ".git/HEAD",
    ".gitignore",
    "lib/__pycache__/util.cpython-312.pyc",
    "lib/stale.pyc",
    ".venv/lib/site.py",
    "venv/bin/python",
    ".serverless/state.json",
    ".fn/cache/a.zip",
    ".pytest_cache/v/x",
    ".mypy_cache/x",
    ".ruff_cache/x",
    ".DS_Store",
    "lib/.DS_Store",
    "a.b/c.txt",
]


def chosen(patterns: list[str]) -> list[str]:
    ps = PatternSet(patterns)
    return [p for p in PATHS if ps.included(p)]


NOT_DEFAULT = [
    "handler.py",
    ".env",
    "lib/util.py",
    "lib/deep/x/y.py",
    "lib/data.json",
    "tests/test_a.py",
    "tests/fixtures/big.json",
    "docs/readme.md",
    "node_modules/pkg/index.js",
    "a.b/c.txt",
]


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        pytest.param([], NOT_DEFAULT, id="defaults-only"),
        pytest.param(["!tests/**"], [p for p in NOT_DEFAULT if not p.startswith("tests/")], id="exclude-dir-glob"),
        pytest.param(["!tests"], [p for p in NOT_DEFAULT if not p.startswith("tests/")], id="exclude-dir-name"),
        pytest.param(["!tests/"], [p for p in NOT_DEFAULT if not p.startswith("tests/")], id="exclude-dir-slash"),
        pytest.param(["!**"], [], id="exclude-all"),
        pytest.param(["!./**", "handler.py"], ["handler.py"], id="dot-slash-prefix"),
        pytest.param(
            ["!**", "handler.py", "lib/**"],
            ["handler.py", "lib/util.py", "lib/deep/x/y.py", "lib/data.json"],
            id="reinclude-after-exclude-all",
        ),
        pytest.param(["!**", "lib"], ["lib/util.py", "lib/deep/x/y.py", "lib/data.json"], id="include-dir-name"),
        pytest.param(["lib/**", "!**"], [], id="later-wins"),
        pytest.param(
            ["!**", "**/*.py"],
            ["handler.py", "lib/util.py", "lib/deep/x/y.py", "tests/test_a.py"],
            id="doublestar-prefix-does-not-reach-defaults",
        ),
        pytest.param(["!**", "*.py"], ["handler.py"], id="star-stays-in-segment"),
        pytest.param(["!**", "lib/*.py"], ["lib/util.py"], id="star-one-level"),
        pytest.param(["!**", "lib/**/*.py"], ["lib/util.py", "lib/deep/x/y.py"], id="doublestar-middle-zero-or-more"),
        pytest.param(["!**", "lib/**/y.py"], ["lib/deep/x/y.py"], id="doublestar-middle"),
        pytest.param(["!**/*.json"], [p for p in NOT_DEFAULT if not p.endswith(".json")], id="exclude-ext-anywhere"),
        pytest.param(["!*.json"], NOT_DEFAULT, id="exclude-ext-root-only"),
        pytest.param(["!**", "lib/{util,data}.*"], ["lib/util.py", "lib/data.json"], id="braces"),
        pytest.param(["serverless.yml", ".gitignore"], NOT_DEFAULT, id="manifest-never-packaged"),
        pytest.param(["!**", "lib/dat?.json"], ["lib/data.json"], id="question-mark"),
        pytest.param(["!**", "lib/[a-d]*"], ["lib/deep/x/y.py", "lib/data.json"], id="char-class"),
        pytest.param(["!**", "lib/[!a-d]*"], ["lib/util.py"], id="negated-char-class"),
        pytest.param(["!**", "*"], NOT_DEFAULT, id="star-matches-dotfiles-and-dirs"),
        pytest.param(["!**", "a.b/c.txt"], ["a.b/c.txt"], id="dot-is-literal"),
        pytest.param(["!**", "a?b/*"], ["a.b/c.txt"], id="question-matches-dot"),
        pytest.param(
            ["!lib/**", "lib/deep/**", "!lib/deep/x/y.py"],
            [p for p in NOT_DEFAULT if not p.startswith("lib/")],
            id="nested-overrides",
        ),
        pytest.param([".git/**", "**/*.pyc"], NOT_DEFAULT, id="defaults-win-over-user-includes"),
    ],
)
def test_pattern_table(patterns: list[str], expected: list[str]) -> None:
    assert chosen(patterns) == expected


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("", "empty"),
        ("!", "empty"),
        ("/etc/**", "absolute"),
        ("../shared/**", "leaves the service directory"),
        ("lib/../../x", "leaves the service directory"),
        (3, "not a string"),
    ],
)
def test_bad_patterns(pattern: object, fragment: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None and fragment in problem
    with pytest.raises(ValueError, match=fragment):
        PatternSet([pattern])  # type: ignore[list-item]


def test_good_patterns_have_no_problem() -> None:
    for p in ["**", "!**/*.pyc", "lib/", "./handler.py", "{a,b}/[!x]?.py", *DEFAULT_EXCLUDES]:
        assert pattern_problem(p) is None, p


@pytest.mark.parametrize(
    ("patterns", "directory", "prunes"),
    [
        ([], ".git", True),
        ([], "lib/__pycache__", True),
        ([], "lib", False),
        (["!tests/**"], "tests", True),
        (["!tests/**", "tests/fixtures/**"], "tests", False),
        (["!tests/**", "tests/fixtures/**"], "tests/other", True),
        (["!tests/**", "**/*.json"], "tests", False),
        (["!**", "lib/**"], "docs", True),
        (["!**", "lib/**"], "lib", False),
        (["!tests/**", "!**/*.json"], "tests", True),
    ],
)
def test_prunes(patterns: list[str], directory: str, prunes: bool) -> None:
    assert PatternSet(patterns).prunes(directory) is prunes


def test_walk_is_sorted_and_follows_links(tmp_path: Path) -> None:
    write_tree(tmp_path, {"b.py": "b", "a/z.py": "z", "a/b/c.py": "c", "A.txt": "A", "shared/s.py": "s"})
    os.symlink(tmp_path / "b.py", tmp_path / "link.py")
    os.symlink(tmp_path / "nowhere", tmp_path / "broken.py")
    os.symlink(tmp_path / "shared", tmp_path / "a" / "shared")
    os.symlink(tmp_path / "a", tmp_path / "a" / "b" / "loop")  # a cycle: walked once
    names = [rel for rel, _ in walk(tmp_path)]
    assert names == ["A.txt", "a/b/c.py", "a/shared/s.py", "a/z.py", "b.py", "link.py", "shared/s.py"]


def test_walk_prunes_and_skips(service: Path) -> None:
    write_tree(service, {".fn/out/svc.zip": "zip", "out/svc.zip": "zip"})
    ps = PatternSet([])
    names = [rel for rel, _ in walk(service, prune=[ps], skip=["out"])]
    assert ".git/HEAD" not in names and ".venv/lib/site.py" not in names
    assert "out/svc.zip" not in names
    pruned = [rel for rel, _ in select(walk(service, prune=[ps], skip=["out"]), ps)]
    unpruned = [rel for rel, _ in select(walk(service), ps) if not rel.startswith("out/")]
    assert unpruned == pruned  # pruning is only a shortcut: same selection
