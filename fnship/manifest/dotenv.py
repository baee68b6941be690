""".env files, read as the Serverless Framework v3 reads them. Reads files; no AWS.

Two users of the same reader:
- `useDotenv: true` (Serverless v3, lib/cli/load-dotenv.js): `.env.{stage}` in the service directory if it exists,
  otherwise `.env` (never both); the stage is `--stage`, else `provider.stage`, else `dev`.
- the serverless-dotenv-plugin (its src/index.js): every one of `.env.{env}.local`, `.env.{env}`, `.env.local`
  (not for env `test`) and `.env` that exists (or `custom.dotenv.path`), where env is `NODE_ENV`, else `--env`,
  else `--stage`, else `development`; the variables (filtered by `custom.dotenv.include` / `exclude`) are also
  added to `provider.environment`.

Files are parsed with the rules of the `dotenv` 16 package and expanded with those of `dotenv-expand` 10 (what
Serverless v3 ships), ported here so that a `.env` means the same to fnship as to Serverless: `export` prefixes,
`#` comments, single/double/backtick quotes (a double-quoted `\\n` is a newline), `$VAR`, `${VAR}` and
`${VAR:-default}` expanded from the process environment first, then the file. A variable already set in the
process environment is never overridden.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from fnship.errors import Diagnostic
from fnship.textfile import NotText, read_text_file

MAX_DOTENV_BYTES = 1024 * 1024
MAX_EXPANSION_DEPTH = 32

# dotenv 16 (lib/main.js): one `KEY=value` (or `KEY: value`) per match; quoted values may span lines.
_LINE = re.compile(
    r"(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*\"(?:\\\"|[^\"])*\"|\s*`(?:\\`|[^`])*`"
    r"|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)",
    re.M,
)
_QUOTED = re.compile(r"^(['\"`])([\s\S]*)\1$", re.M)
# dotenv-expand 10: `$VAR`, `${VAR}`, `${VAR:-default}`, with the character before (a `\` escapes).
_REFERENCE = re.compile(r"(.?\$\{*[\w]*(?::-[\w/]*)?\}*)")
_REFERENCE_PARTS = re.compile(r"(.?)\$\{*([\w]*(?::-[\w/]*)?)?\}*")


class DotenvError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def parse(text: str) -> dict[str, str]:
    """`KEY=value` lines -> {KEY: value}, as dotenv 16 parses them (a later duplicate wins)."""
    values: dict[str, str] = {}
    for match in _LINE.finditer(re.sub(r"\r\n?", "\n", text)):
        value = (match[2] or "").strip()
        quote = value[:1]
        value = _QUOTED.sub(r"\2", value)
        if quote == '"':
            value = value.replace("\\n", "\n").replace("\\r", "\r")
        values[match[1]] = value
    return values


def _interpolate(value: str, environment: Mapping[str, str], parsed: Mapping[str, str], depth: int = 0) -> str:
    if depth > MAX_EXPANSION_DEPTH:
        raise RecursionError
    matches = _REFERENCE.findall(value)
    result = value
    index = 0
    while index < len(matches):
        found = _REFERENCE_PARTS.search(matches[index]) if matches[index] else None
        if found is None:
            index += 1
            continue
        prefix = found[1]
        if prefix == "\\":
            replace_part = found[0]
            replacement = replace_part.replace("\\$", "$", 1)
        else:
            key_parts = (found[2] or "").split(":-")
            key = key_parts[0]
            replace_part = found[0][len(prefix) :]
            default = key_parts[1] if len(key_parts) > 1 else ""
            replacement = environment[key] if key in environment else (parsed.get(key) or default or "")
            if len(key_parts) > 1 and replacement and index + 1 < len(matches):
                # dotenv-expand drops the expansion nested in a default that was not needed
                result = result.replace(matches[index + 1], "", 1)
                matches[index + 1] = ""
            replacement = _interpolate(replacement, environment, parsed, depth + 1)
        result = result.replace(replace_part, replacement, 1)
        index += 1
    return result


def expand(parsed: Mapping[str, str], environment: Mapping[str, str]) -> dict[str, str]:
    """dotenv-expand 10's `expand`: a key set in the process environment keeps that value (expanded)."""
    return {key: _interpolate(environment.get(key, value), environment, parsed) for key, value in parsed.items()}


@dataclass
class DotenvResult:
    files: list[str] = field(default_factory=list)  # the files read, as displayed
    values: dict[str, str] = field(default_factory=dict)  # what they define (expanded), first file first


def load_file(
    path: Path, *, display: str, environ: MutableMapping[str, str], expand_values: bool = True
) -> dict[str, str]:
    """One file, as `dotenv.config` + `dotenv-expand` load it: its keys are added to `environ` (never replacing one
    that is set) and its values returned. FileNotFoundError when it does not exist; DotenvError when unreadable."""
    try:
        text = read_text_file(path, display=display, limit=MAX_DOTENV_BYTES)
    except NotText as exc:
        raise DotenvError(exc.diagnostic) from None
    parsed = parse(text)
    for key, value in parsed.items():
        environ.setdefault(key, value)
    if not expand_values:
        return parsed
    try:
        expanded = expand(parsed, environ)
    except RecursionError:
        raise DotenvError(
            Diagnostic(
                f"{display}: a variable expands into itself (more than {MAX_EXPANSION_DEPTH} levels deep)",
                hint="a value must not refer to its own name, directly or not",
            )
        ) from None
    environ.update(expanded)  # dotenv-expand writes the expanded values back
    return expanded


def use_dotenv(root: Path, *, stage: str, environ: MutableMapping[str, str], display_dir: str) -> DotenvResult:
    """`useDotenv: true`: `.env.{stage}` if it exists, else `.env`."""
    result = DotenvResult()
    for name in (f".env.{stage}", ".env"):
        display = str(Path(display_dir) / name)
        try:
            result.values = load_file(root / name, display=display, environ=environ)
        except FileNotFoundError:
            continue
        result.files.append(display)
        return result
    return result


def plugin_files(root: Path, config: Mapping[str, object], env_name: str) -> list[str]:
    """The files serverless-dotenv-plugin reads, most important first (relative to the service directory)."""
    path = config.get("path")
    if path is not None:
        return [str(item) for item in path] if isinstance(path, list) else [str(path)]
    base = str(config.get("basePath") or "")
    names = [f".env.{env_name}.local", f".env.{env_name}", *([".env.local"] if env_name != "test" else []), ".env"]
    return [base + name for name in names if (root / (base + name)).is_file()]


def dotenv_plugin(
    root: Path, config: Mapping[str, object], *, env_name: str, environ: MutableMapping[str, str], display_dir: str
) -> DotenvResult:
    """serverless-dotenv-plugin: every file that exists, merged (with expansion, the first file's value wins, as
    each file's keys are already in the environment when the next one is expanded)."""
    result = DotenvResult()
    expansion = config.get("variableExpansion", True) is not False
    for name in plugin_files(root, config, env_name):
        display = str(Path(display_dir) / name)
        try:
            values = load_file(root / name, display=display, environ=environ, expand_values=expansion)
        except FileNotFoundError:
            raise DotenvError(Diagnostic(f"{display}: file not found", hint="check custom.dotenv.path")) from None
        result.files.append(display)
        result.values.update(values)
    return result
