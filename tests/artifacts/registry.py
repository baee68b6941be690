"""A real OCI registry on loopback (Debian's docker-registry) and a stand-in Lambda base image made with umoci
and skopeo: public.ecr.aws is out of reach in tests. Tests skip cleanly when a binary is missing."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port


@dataclass
class Registry:
    host: str  # 127.0.0.1:PORT

    def skopeo(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["skopeo", "--insecure-policy", *args], capture_output=True, text=True, check=True)


def need(*binaries: str) -> None:
    missing = [b for b in binaries if shutil.which(b) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install docker-registry skopeo umoci)")


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    need("docker-registry")
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.skip("docker-registry did not start")
        yield Registry(f"127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)


def push_standin_base(registry: Registry, work: Path, *, reference: str, architecture: str = "amd64") -> str:
    """A tiny base image (one file, LAMBDA_TASK_ROOT set) pushed as `reference`; returns `host/reference`."""
    need("umoci", "skopeo")
    layout = work / "standin"
    bundle = work / "bundle"

    def run(*args: str) -> None:
        subprocess.run(list(args), check=True, capture_output=True)

    run("umoci", "init", "--layout", str(layout))
    run("umoci", "new", "--image", f"{layout}:base")
    run("umoci", "unpack", "--rootless", "--image", f"{layout}:base", str(bundle))
    (bundle / "rootfs" / "etc").mkdir(parents=True, exist_ok=True)
    (bundle / "rootfs" / "etc" / "standin-base").write_text("the stand-in Lambda base image\n")
    run("umoci", "repack", "--image", f"{layout}:base", str(bundle))
    run("umoci", "config", "--image", f"{layout}:base", "--config.env", "LAMBDA_TASK_ROOT=/var/task",
        "--config.workingdir", "/var/task", "--architecture", architecture, "--os", "linux")  # fmt: skip
    registry.skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:base", f"docker://{registry.host}/{reference}")
    return f"{registry.host}/{reference}"
