"""What crosses the channel: data only, exactly."""

from __future__ import annotations

import pytest
from py_code_mode._runtime import protocol


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        b"\x00\xff",
        [1, 2.5, True, None],
        {"$bytes": "looks like a tag"},
        {"$dict": [["a", 1]]},
        {"nested": {"$bytes": b"real bytes"}},
    ],
)
def test_values_cross_the_channel_unchanged(value: object) -> None:
    assert protocol.roundtrip(value) == value


@pytest.mark.parametrize("value", [{1, 2}, object(), {1: "int key"}, [lambda: 1]])
def test_values_that_are_not_data_are_refused(value: object) -> None:
    with pytest.raises(protocol.WireError):
        protocol.dumps({"kind": "reply", "value": value})


def test_a_frame_is_a_length_prefix_and_json() -> None:
    frame = protocol.dumps({"kind": "ready"})
    (size,) = protocol.HEADER.unpack(frame[:4])
    assert size == len(frame) - 4
    assert protocol.loads(frame[4:]) == {"kind": "ready"}
