"""Paged calls: the continuation token is followed, the first request is as given, a not-found answer ends the
pages with missing_ok, and a consumer that stops early asks for no further page. The paged call is a plain
function standing for a boto3 method (the shape of its answers is AWS's)."""

from __future__ import annotations

import pytest
from botocore import exceptions as bx

from fnship.aws.calls import MARKER, paged_items, pages
from fnship.errors import AwsError


class Paged:
    """Answers ListThings a page at a time; records each request."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[dict] = []

    def __call__(self, **kwargs):
        self.requests.append(kwargs)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def not_found() -> bx.ClientError:
    return bx.ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}}, "ListThings")


def test_follows_the_token_and_keeps_the_request_parameters():
    call = Paged({"Things": [1, 2], "NextMarker": "m1"}, {"Things": [3], "NextMarker": "m2"}, {"Things": None})
    assert paged_items("things", "ListThings", call, items="Things", token=MARKER, Name="x") == [1, 2, 3]
    assert call.requests == [{"Name": "x"}, {"Name": "x", "Marker": "m1"}, {"Name": "x", "Marker": "m2"}]


def test_not_found_ends_the_pages_only_with_missing_ok():
    assert paged_items("t", "ListThings", Paged(not_found()), items="Things", token=MARKER, missing_ok=True) == []
    later = Paged({"Things": [1], "NextMarker": "m1"}, not_found())
    assert paged_items("t", "ListThings", later, items="Things", token=MARKER, missing_ok=True) == [1]
    with pytest.raises(AwsError):
        paged_items("t", "ListThings", Paged(not_found()), items="Things", token=MARKER)


def test_stopping_early_asks_for_no_further_page():
    call = Paged({"Things": [1], "NextMarker": "m1"}, {"Things": [2]})
    first = next(iter(pages("things", "ListThings", call, token=MARKER)))
    assert first["Things"] == [1] and len(call.requests) == 1
