"""The AWS event stream encoding (application/vnd.amazon.eventstream), for the emulator's answers to
InvokeWithResponseStream: each message is a prelude (total and header lengths, CRC32), string headers, the payload
and a CRC32 of the whole. https://docs.aws.amazon.com/lambda/latest/api/API_InvokeWithResponseStream.html
(botocore decodes it on the client side.)"""

from __future__ import annotations

import binascii
import struct

STRING_HEADER = 7  # the header value type of a UTF-8 string


def event_message(event_type: str, payload: bytes, *, content_type: str = "application/octet-stream") -> bytes:
    """One event message: `:event-type`, `:message-type: event`, `:content-type` headers, then `payload`."""
    headers = b""
    for name, value in ((":event-type", event_type), (":message-type", "event"), (":content-type", content_type)):
        raw = value.encode()
        headers += bytes([len(name)]) + name.encode() + bytes([STRING_HEADER]) + struct.pack(">H", len(raw)) + raw
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + headers + payload
    return message + struct.pack(">I", binascii.crc32(message))
