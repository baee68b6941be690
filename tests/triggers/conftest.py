from tests.manifest.conftest import env  # noqa: F401 - the manifest tests' fixture: writes and loads manifests
