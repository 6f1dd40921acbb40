"""Prometheus remote write 1.0, just enough to replay history into a Prometheus' head block.

A protobuf WriteRequest encoded by hand and sent as one snappy literal (a valid snappy block
that compresses nothing): no protobuf or snappy package needed.
"""

from __future__ import annotations

import re
import struct
import urllib.request

_LABEL = re.compile(r'(\w+)="([^"]*)"')


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        if not n:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def labels(name: str, text: str) -> bytes:
    """The encoded labels of series `name{text}` (`text` as in the exposition format), sorted by name."""
    pairs = sorted([("__name__", name), *_LABEL.findall(text)])
    return b"".join(_field(1, _field(1, k.encode()) + _field(2, v.encode())) for k, v in pairs)


def series(encoded_labels: bytes, value: float, ms: int) -> bytes:
    """One TimeSeries of one sample, for a WriteRequest."""
    sample = b"\x09" + struct.pack("<d", value) + b"\x10" + _varint(ms)
    return _field(1, encoded_labels + _field(2, sample))


def post(url: str, request: bytes) -> None:
    """Send the concatenated `series()` of one WriteRequest to Prometheus' /api/v1/write."""
    block = _varint(len(request)) + bytes([63 << 2]) + (len(request) - 1).to_bytes(4, "little") + request
    urllib.request.urlopen(urllib.request.Request(url, data=block, method="POST", headers={
        "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Write-Version": "0.1.0"}), timeout=300).read()
