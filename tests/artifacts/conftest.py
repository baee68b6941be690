"""Fixtures for the artifact tests: the loopback OCI registry (see registry.py)."""

from tests.artifacts.registry import registry  # noqa: F401 -- a fixture, shared by the image and engine tests
