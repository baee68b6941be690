"""A real OCI registry on loopback (Debian's docker-registry) and stand-in Lambda base images (made with umoci and
skopeo, or with buildah when a Dockerfile must RUN in them): public.ecr.aws is out of reach in tests. Tests skip
cleanly when a binary is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
import uuid
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


def buildah_standin_base(work: Path, *, name: str, scripts: dict[str, str]) -> str:
    """A stand-in Lambda base image with a shell, in buildah's local storage (a Dockerfile can `FROM` and `RUN` in
    it): busybox-static as /bin/sh and the usual applets, `scripts` as executables in /bin, LAMBDA_TASK_ROOT set
    and the working directory /var/task as in the AWS images. Returns `localhost/<name>-<random>:latest`; remove
    it with `buildah rmi -f`. The caller checks for buildah and busybox first."""
    os.environ.setdefault("STORAGE_DRIVER", "vfs")  # no overlay mounts on this kind of machine
    os.environ.setdefault("BUILDAH_ISOLATION", "chroot")
    root = work / "standin-root"
    (root / "bin").mkdir(parents=True)
    shutil.copy(shutil.which("busybox") or "busybox", root / "bin" / "busybox")
    for applet in ("sh", "mkdir", "echo", "cat", "cp"):
        (root / "bin" / applet).symlink_to("busybox")
    for script, text in scripts.items():
        (root / "bin" / script).write_text(text)
        (root / "bin" / script).chmod(0o755)
    (root / "var" / "task").mkdir(parents=True)

    def buildah(*args: str) -> str:
        return subprocess.run(["buildah", *args], check=True, capture_output=True, text=True).stdout.strip()

    reference = f"localhost/{name}-{uuid.uuid4().hex[:8]}:latest"
    container = buildah("from", "scratch")
    try:
        buildah("copy", container, f"{root}/", "/")
        buildah("config", "--env", "LAMBDA_TASK_ROOT=/var/task", "--workingdir", "/var/task", container)
        buildah("commit", "-q", container, reference)
    finally:
        buildah("rm", container)
    return reference
