"""Which wheels a Lambda runtime accepts: Python version, ABI and manylinux platform tags per runtime and
architecture. Pure: no filesystem, no network.

Amazon Linux 2 (python3.9-3.11) ships glibc 2.26 and Amazon Linux 2023 (python3.12+) glibc 2.34, so a wheel
tagged `manylinux_2_X` runs there when X is at most that. https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from fnship.frozen import frozen

if TYPE_CHECKING:
    from packaging.tags import Tag

# runtime -> (Python version, the OS image's glibc minor version)
RUNTIMES: dict[str, tuple[str, int]] = {
    "python3.9": ("3.9", 26),
    "python3.10": ("3.10", 26),
    "python3.11": ("3.11", 26),
    "python3.12": ("3.12", 34),
    "python3.13": ("3.13", 34),
}
# Lambda's architecture name -> the machine name in wheel tags and ELF headers
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# Targets uv knows (`uv pip install --python-platform`): the highest manylinux it has at or below our glibc.
_UV_GLIBC = (17, 28, 31, 32, 33, 34)


@frozen
class LambdaPlatform:
    """A Lambda runtime on an architecture: what any built dependency (Python, Node.js) must run on."""

    runtime: str
    architecture: str

    @property
    def machine(self) -> str:
        """The ELF machine name (x86_64, aarch64)."""
        return MACHINES[self.architecture]

    @property
    def oci_arch(self) -> str:
        return "amd64" if self.architecture == "x86_64" else "arm64"

    def build_image(self) -> str:
        """The SAM build image with this runtime's toolchain (used when a package must be compiled)."""
        return f"public.ecr.aws/sam/build-{self.runtime}:latest-{self.architecture}"


@frozen
class Target(LambdaPlatform):
    """What a built Python dependency must run on."""

    @property
    def python_version(self) -> str:
        return RUNTIMES[self.runtime][0]

    @property
    def glibc_minor(self) -> int:
        return RUNTIMES[self.runtime][1]

    @property
    def abi(self) -> str:
        return "cp" + self.python_version.replace(".", "")

    def platform_tags(self) -> list[str]:
        """Every manylinux tag this runtime's glibc accepts, newest first (pip takes them all)."""
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(self.glibc_minor, 16, -1)]
        tags.append(f"manylinux2014_{self.machine}")
        if self.machine == "x86_64":
            tags += ["manylinux2010_x86_64", "manylinux1_x86_64"]
        return tags

    def accepted_tags(self) -> frozenset[Tag]:
        """Every wheel tag (`packaging.tags.Tag`) the target's CPython accepts."""
        return _accepted_tags(self.python_version, tuple(self.platform_tags()))

    def uv_platform(self) -> str:
        best = max(m for m in _UV_GLIBC if m <= self.glibc_minor)
        return f"{self.machine}-manylinux_2_{best}"

    def base_image(self) -> str:
        """The Lambda base image for container-image functions."""
        return f"public.ecr.aws/lambda/python:{self.python_version}"


def wheel_fits(filename: str, target: Target) -> bool:
    """Does the wheel run on `target`? Its tag set (PEP 427 file name, PEP 425 tags) meets the tags the target's
    CPython accepts, as pypa `packaging.tags` orders them for that Python version and those platforms: a
    `cp39-abi3` wheel fits Python 3.12, a `cp313-abi3` one does not (abi3 promises only newer Pythons)."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        _name, _version, _build, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return not tags.isdisjoint(target.accepted_tags())


@functools.cache
def _accepted_tags(python_version: str, platforms: tuple[str, ...]) -> frozenset[Tag]:
    from packaging import tags

    version = tuple(int(part) for part in python_version.split("."))
    interpreter = "cp" + "".join(str(part) for part in version)
    return frozenset(
        [
            *tags.cpython_tags(version, abis=[interpreter], platforms=platforms),
            *tags.compatible_tags(version, interpreter=interpreter, platforms=platforms),
        ]
    )


def is_pure(filename: str) -> bool:
    return filename.endswith("-none-any.whl")
