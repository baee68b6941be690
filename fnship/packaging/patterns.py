"""Serverless `package.patterns`: which files under the service directory go into a zip.

Pure matching plus one deterministic directory walk: no AWS, no zip writing, no manifest parsing.

Semantics (Serverless v3, https://www.serverless.com/framework/docs/providers/aws/guide/packaging#patterns):
- paths are relative to the service directory, with `/` separators; everything starts included;
- patterns apply in order and a later match overrides an earlier one; `!pattern` excludes;
- globs follow micromatch with `dot: true`: `*` and `?` stay within one path segment, `**` spans segments,
  `[abc]`/`[!abc]` classes and `{a,b}` alternatives; `*` matches dotfiles too;
- a pattern that names a directory applies to everything under it (`!tests` is `!tests/**`).

Unlike Serverless, the default excludes (`.git/**`, caches, virtualenvs) apply after the user's patterns, so
`**/*.py` cannot drag `.venv/` into the zip. The walk prunes directories that nothing can include.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from fnship.frozen import frozen

DEFAULT_EXCLUDES: tuple[str, ...] = (
    "!.git/**",
    "!.fn/**",
    "!.serverless/**",
    "!.venv/**",
    "!venv/**",
    "!**/__pycache__/**",
    "!**/*.pyc",
    "!.pytest_cache/**",
    "!.mypy_cache/**",
    "!.ruff_cache/**",
    "!**/.DS_Store",
    # As the Serverless Framework does: the manifest is not code, and editing it must not change CodeSha256.
    "!serverless.yml",
    "!serverless.yaml",
    "!serverless.json",
    "!serverless.yml.example",
    "!.gitignore",
)

_GLOB_CHARS = "*?[{\\"


def pattern_problem(pattern: object) -> str | None:
    """Why a pattern is unusable, or None when it is fine."""
    if not isinstance(pattern, str):
        return f"{pattern!r} is not a string"
    body = pattern[1:] if pattern.startswith("!") else pattern
    body = _strip(body)
    if not body:
        return f"{pattern!r} is empty"
    if body.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", body):
        return f"{pattern!r} is absolute; patterns are relative to the service directory"
    if ".." in body.split("/"):
        return f"{pattern!r} leaves the service directory; only files under it can be packaged"
    try:
        _matcher(body)
    except (ValueError, re.error) as exc:
        return f"{pattern!r} is not a valid glob ({exc})"
    return None


@functools.lru_cache(maxsize=1024)
def _matcher(body: str) -> re.Pattern[str]:
    """The regex of one glob body, matching a path or any path under a matching directory. Compiled once per
    process: every function's PatternSet checks and compiles the default excludes again."""
    return re.compile(f"(?:{_glob_to_regex(body)})(?:/.*)?", re.DOTALL)


def _strip(body: str) -> str:
    while body.startswith("./"):
        body = body[2:]
    return body.rstrip("/") if body != "/" else body


def _glob_to_regex(glob: str) -> str:
    """Translate one glob (no leading `!`) to a regex body matching a whole relative path."""
    segments = glob.split("/")
    out: list[str] = []
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        if seg == "**":
            if i == last:
                # trailing `**` (or `**` alone): anything, including nothing after a `dir/`
                out.append(".*" if i == 0 else "(?:/.*)?")
            else:
                # `**/`: zero or more whole segments
                out.append("(?:.*/)?" if i == 0 else "/(?:.*/)?")
            continue
        if i and segments[i - 1] != "**":
            out.append("/")
        out.append(_segment(seg))
    return "".join(out)


def _segment(seg: str) -> str:
    out: list[str] = []
    i = 0
    n = len(seg)
    while i < n:
        c = seg[i]
        if c == "*":
            while i + 1 < n and seg[i + 1] == "*":
                i += 1  # `a**b` inside a segment is just `*`
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(seg[i]))
        elif c == "[":
            end = seg.find("]", i + 2 if i + 1 < n and seg[i + 1] in "!^" else i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = seg[i + 1 : end]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif c == "{":
            end = _matching_brace(seg, i)
            if end < 0:
                out.append(re.escape(c))
            else:
                alts = _split_alternatives(seg[i + 1 : end])
                out.append("(?:" + "|".join(_segment(a) for a in alts) + ")")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _matching_brace(s: str, start: int) -> int:
    depth = 0
    for j in range(start, len(s)):
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _split_alternatives(s: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    cur = ""
    for ch in s:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    return parts


@frozen
class _Rule:
    text: str
    exclude: bool
    regex: re.Pattern[str]  # matches a path, or any path under a matching directory
    literal: str  # the pattern's prefix before its first glob character


class PatternSet:
    """An ordered list of patterns (defaults last). `included(path)` is the final verdict for one file."""

    def __init__(self, patterns: Sequence[str], *, defaults: Sequence[str] = DEFAULT_EXCLUDES) -> None:
        self.patterns = tuple(patterns)
        rules = []
        for text in (*patterns, *defaults):
            problem = pattern_problem(text)
            if problem:
                raise ValueError(problem)
            exclude = text.startswith("!")
            body = _strip(text[1:] if exclude else text)
            cut = min((i for i, ch in enumerate(body) if ch in _GLOB_CHARS), default=len(body))
            rules.append(_Rule(text, exclude, _matcher(body), body[:cut]))
        # The last matching rule decides, so scan from the end and stop at the first match.
        self._rules = tuple(reversed(rules))

    def included(self, path: str) -> bool:
        for rule in self._rules:
            if rule.regex.fullmatch(path):
                return not rule.exclude
        return True

    def prunes(self, directory: str) -> bool:
        """True when no file under `directory` can be included, so the walk may skip it."""
        prefix = directory + "/"
        for rule in self._rules:
            if rule.regex.fullmatch(directory):
                return rule.exclude  # this rule matches everything under the directory
            if not rule.exclude and (prefix.startswith(rule.literal) or rule.literal.startswith(prefix)):
                return False  # a later include may reach inside
        return False


def walk(root: Path, *, prune: Iterable[PatternSet] = (), skip: Iterable[str] = ()) -> list[tuple[str, Path]]:
    """Every regular file under `root` as (relative POSIX path, path), sorted by relative path.

    Follows symlinks to files and directories (a directory cycle is walked once), skips broken links and
    special files. A directory is skipped when every pattern set in `prune` prunes it, or its relative path is
    in `skip` (the output directory, so a zip never contains itself).
    """
    sets = tuple(prune)
    skipped = set(skip)
    found: list[tuple[str, Path]] = []

    def visit(directory: Path, rel: str, seen: frozenset[tuple[int, int]]) -> None:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            child_rel = f"{rel}{entry.name}"
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
                is_file = not is_dir and entry.is_file(follow_symlinks=True)
            except OSError:
                continue  # unreadable or a broken link
            if is_file:
                found.append((child_rel, Path(entry.path)))
            elif is_dir:
                if child_rel in skipped or (sets and all(s.prunes(child_rel) for s in sets)):
                    continue
                st = os.stat(entry.path)
                key = (st.st_dev, st.st_ino)
                if key in seen:
                    continue  # a symlink back up the tree
                visit(Path(entry.path), child_rel + "/", seen | {key})

    st = os.stat(root)
    visit(root, "", frozenset({(st.st_dev, st.st_ino)}))
    found.sort(key=lambda f: f[0])
    return found


def select(files: Iterable[tuple[str, Path]], patterns: PatternSet) -> list[tuple[str, Path]]:
    """The files that `patterns` includes, in the given order."""
    return [f for f in files if patterns.included(f[0])]
