from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from fnship.errors import InputError
from fnship.manifest import load_manifest
from fnship.manifest.types import Manifest

BASE = """\
service: svc
provider:
  name: aws
functions:
  api:
    handler: app.handler
"""


class Env:
    """Writes manifests under tmp_path and loads them with an empty process environment by default."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        monkeypatch.chdir(root)

    def write(self, name: str, text: str) -> Path:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
        return Path(name)

    def load(self, text: str, **kwargs) -> Manifest:
        kwargs.setdefault("env", {})
        return load_manifest(self.write("serverless.yml", text), **kwargs)

    def problems(self, text: str, **kwargs) -> list[str]:
        """Every diagnostic, as the user sees it (`file:line:col key: message`, no hint)."""
        with pytest.raises(InputError) as caught:
            self.load(text, **kwargs)
        return [str(d).split("\n")[0] for d in caught.value.diagnostics]

    def problem(self, text: str, **kwargs) -> str:
        found = self.problems(text, **kwargs)
        assert len(found) == 1, found
        return found[0]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(tmp_path, monkeypatch)


def with_function(body: str, *, provider: str = "") -> str:
    """A valid manifest whose function `api` gets extra lines (and provider extra lines), 4/2-space indented."""
    provider_lines = textwrap.indent(textwrap.dedent(provider).rstrip("\n") + "\n", "  ") if provider else ""
    body_lines = textwrap.indent(textwrap.dedent(body).rstrip("\n") + "\n", "    ") if body else ""
    head = f"service: svc\nprovider:\n  name: aws\n{provider_lines}"
    return f"{head}functions:\n  api:\n    handler: app.handler\n{body_lines}"


Problems = Callable[..., list[str]]
