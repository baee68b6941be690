"""The Price List API is unreachable in these tests (a closed port), as offline CI is: the moto server in this
process would answer 500 but also print to the stdout the CLI runner captures."""

from __future__ import annotations

import pytest

from tests.conftest import free_port


@pytest.fixture(autouse=True)
def _offline_price_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", f"http://127.0.0.1:{free_port()}")
