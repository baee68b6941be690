"""A client for the OCI distribution API (https://github.com/opencontainers/distribution-spec/blob/main/spec.md):
manifests and blobs over HTTP with urllib, no daemon.

Network only (a registry): no AWS calls; ECR's credentials come in from the caller (GetAuthorizationToken).
Loopback registries are spoken to over plain HTTP, everything else over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from fnship.errors import FnError

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
INDEX_TYPES = frozenset(MANIFEST_TYPES[0::2])
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Reference:
    """`host/repository:tag` or `host/repository@sha256:...`."""

    host: str
    repository: str
    reference: str  # a tag or a digest

    @classmethod
    def parse(cls, text: str) -> Reference:
        rest, digest = (text.split("@", 1) + [""])[:2]
        host, _, path = rest.partition("/")
        if not path or ("." not in host and ":" not in host and host != "localhost"):
            host, path = "registry-1.docker.io", rest if "/" in rest else f"library/{rest}"
        tag = ""
        if ":" in path.rsplit("/", 1)[-1]:
            path, tag = path.rsplit(":", 1)
        return cls(host, path, digest or tag or "latest")

    def __str__(self) -> str:
        sep = "@" if self.reference.startswith("sha256:") else ":"
        return f"{self.host}/{self.repository}{sep}{self.reference}"


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class RegistryClient:
    def __init__(self, host: str, *, basic: tuple[str, str] | None = None, timeout: float = 60) -> None:
        self.host = host
        scheme = "http" if host.split(":")[0] in _LOOPBACK or host.startswith("[::1]") else "https"
        self.base = f"{scheme}://{host}"
        self._basic = basic
        self._bearer: str | None = None
        self._timeout = timeout

    # -- HTTP -----------------------------------------------------------------------------------------------------
    def _auth_header(self) -> dict[str, str]:
        if self._bearer:
            return {"Authorization": f"Bearer {self._bearer}"}
        if self._basic:
            token = base64.b64encode(f"{self._basic[0]}:{self._basic[1]}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        return {}

    def _request(self, method: str, url: str, *, headers: dict[str, str] | None = None, body=None, ok=(200,)):
        if url.startswith("/"):
            url = self.base + url
        for attempt in range(2):
            request = urllib.request.Request(url, method=method, data=body, headers={**(headers or {}),
                                                                                    **self._auth_header()})  # fmt: skip
            try:
                # bandit B310 waived: http(s) only, checked by _http_url (a registry's answer cannot point us at file:).
                response = urllib.request.urlopen(_http_url(request), timeout=self._timeout)  # nosec B310
            except urllib.error.HTTPError as exc:
                if exc.code == 401 and attempt == 0 and self._authenticate(exc.headers.get("WWW-Authenticate", "")):
                    continue
                if exc.code in ok:
                    return exc
                detail = exc.read().decode(errors="replace")[:300]
                raise RegistryError(f"{method} {url} answered {exc.code}: {detail}", exc.code) from exc
            except (urllib.error.URLError, OSError) as exc:
                raise RegistryError(f"{method} {url} failed: {exc}", 0) from exc
            return response
        raise RegistryError(f"{method} {url}: not authorized", 401)

    def _authenticate(self, challenge: str) -> bool:
        """Token auth (https://distribution.github.io/distribution/spec/auth/token/): fetch a bearer token."""
        if not challenge.lower().startswith("bearer "):
            return False
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", None)
        if not realm:
            return False
        headers = {}
        if self._basic:
            token = base64.b64encode(f"{self._basic[0]}:{self._basic[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        url = realm + "?" + urllib.parse.urlencode(params)
        try:
            request = _http_url(urllib.request.Request(url, headers=headers))
            with urllib.request.urlopen(request, timeout=self._timeout) as r:  # nosec B310
                answer = json.loads(r.read())
        except (urllib.error.URLError, OSError, ValueError):
            return False
        self._bearer = answer.get("token") or answer.get("access_token")
        return bool(self._bearer)

    # -- manifests -----------------------------------------------------------------------------------------------
    def manifest(self, repository: str, reference: str) -> tuple[bytes, str]:
        """(bytes, media type) of a manifest or an index."""
        with self._request("GET", f"/v2/{repository}/manifests/{reference}",
                           headers={"Accept": ", ".join(MANIFEST_TYPES)}) as response:  # fmt: skip
            data = response.read()
            media_type = response.headers.get("Content-Type", "").split(";")[0]
        return data, json.loads(data).get("mediaType") or media_type

    def platform_manifest(self, repository: str, reference: str, *, os: str, architecture: str) -> tuple[bytes, str]:
        data, media_type = self.manifest(repository, reference)
        if media_type not in INDEX_TYPES:
            return data, media_type
        for entry in json.loads(data).get("manifests", []):
            platform = entry.get("platform") or {}
            if platform.get("os") == os and platform.get("architecture") == architecture:
                return self.manifest(repository, entry["digest"])
        raise FnError(f"{self.host}/{repository}:{reference} has no image for {os}/{architecture}")

    def has_manifest(self, repository: str, reference: str) -> bool:
        response = self._request("HEAD", f"/v2/{repository}/manifests/{reference}",
                                 headers={"Accept": ", ".join(MANIFEST_TYPES)}, ok=(200, 404))  # fmt: skip
        with response:
            return getattr(response, "status", None) == 200

    def put_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> str:
        with self._request("PUT", f"/v2/{repository}/manifests/{reference}", body=data,
                           headers={"Content-Type": media_type}, ok=(201, 200)):  # fmt: skip
            pass
        return sha256_digest(data)

    # -- blobs ---------------------------------------------------------------------------------------------------
    def blob(self, repository: str, digest: str) -> bytes:
        with self._request("GET", f"/v2/{repository}/blobs/{digest}") as response:
            return response.read()

    def blob_to_file(self, repository: str, digest: str, dest: Path) -> None:
        with self._request("GET", f"/v2/{repository}/blobs/{digest}") as response, open(dest, "wb") as out:
            shutil.copyfileobj(response, out, _CHUNK)

    def has_blob(self, repository: str, digest: str) -> bool:
        response = self._request("HEAD", f"/v2/{repository}/blobs/{digest}", ok=(200, 404))
        with response:
            return getattr(response, "status", None) == 200

    def mount_blob(self, repository: str, digest: str, source_repository: str) -> bool:
        query = urllib.parse.urlencode({"mount": digest, "from": source_repository})
        response = self._request("POST", f"/v2/{repository}/blobs/uploads/?{query}", ok=(201, 202))
        with response:
            code = getattr(response, "status", None) or response.code
            return code == 201

    def upload_blob(self, repository: str, digest: str, path: Path) -> None:
        """Monolithic upload: POST for a session, then PUT the bytes with the digest."""
        with self._request("POST", f"/v2/{repository}/blobs/uploads/", ok=(202,)) as response:
            location = response.headers["Location"]
        if location.startswith("/"):
            location = self.base + location
        sep = "&" if "?" in location else "?"
        size = path.stat().st_size
        with open(path, "rb") as body:
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
            with self._request("PUT", f"{location}{sep}digest={urllib.parse.quote(digest)}", body=body,
                               headers=headers, ok=(201,)):  # fmt: skip
                pass

    def copy_blob_from(self, source: RegistryClient, source_repository: str, repository: str, digest: str) -> None:
        """A blob from another registry (the base image's): through a temporary file, never whole in memory."""
        with tempfile.TemporaryDirectory(prefix="fnship-blob-") as scratch:
            path = Path(scratch) / "blob"
            source.blob_to_file(source_repository, digest, path)
            self.upload_blob(repository, digest, path)


class RegistryError(FnError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message, hint="check the registry address and credentials")
        self.status = status


def _http_url(request: urllib.request.Request) -> urllib.request.Request:
    """The request, if it is http(s): a registry's token realm or a base from the environment could name file:."""
    if urllib.parse.urlsplit(request.full_url).scheme not in ("http", "https"):
        raise RegistryError(f"{request.full_url}: only http and https registries are supported", 0)
    return request
