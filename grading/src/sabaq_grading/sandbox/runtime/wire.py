"""Length-prefixed JSON frames over file descriptors (the host <-> sandbox protocol).

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON holding
one object. The reader caps the length so a hostile peer cannot make it allocate without bound.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

_HEADER = struct.Struct(">I")


class WireError(Exception):
    """The peer sent something that is not a well-formed frame, or closed mid-frame."""


class PeerClosed(WireError):
    """The peer closed the connection cleanly between frames."""


def send(fd: int, message: dict[str, Any]) -> None:
    """Write one frame; blocks until all of it is written."""
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    data = memoryview(_HEADER.pack(len(body)) + body)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def encode(message: dict[str, Any]) -> bytes:
    """One frame's bytes."""
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return _HEADER.pack(len(body)) + body


def send_on(sock: Any, message: dict[str, Any], deadline: float) -> None:
    """Host side: write one frame to a socket, giving up (TimeoutError) at ``deadline``."""
    import time

    sock.settimeout(max(0.001, deadline - time.monotonic()))
    sock.sendall(encode(message))


def read_exact(fd: int, size: int) -> bytes:
    """Read exactly ``size`` bytes, or raise if the peer closes first."""
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            if remaining == size and size == _HEADER.size:
                raise PeerClosed("peer closed the connection")
            raise WireError(f"peer closed the connection in the middle of a frame "
                            f"({size - remaining} of {size} bytes read)")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def decode_header(header: bytes, max_bytes: int) -> int:
    """Return the body length announced by a header, refusing lengths over ``max_bytes``."""
    (length,) = _HEADER.unpack(header)
    if length > max_bytes:
        raise WireError(f"frame of {length} bytes exceeds the limit of {max_bytes} bytes")
    return int(length)


def decode_body(body: bytes) -> dict[str, Any]:
    """Parse a frame body, which must be a JSON object."""
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WireError(f"frame is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(message, dict):
        raise WireError(f"frame holds a JSON {type(message).__name__}, not an object")
    return message


def recv(fd: int, max_bytes: int) -> dict[str, Any]:
    """Read one frame (blocking)."""
    length = decode_header(read_exact(fd, _HEADER.size), max_bytes)
    return decode_body(read_exact(fd, length))


HEADER_SIZE = _HEADER.size


class FrameReader:
    """Incremental frame reader for the host: reads a socket with a deadline, never blocks past it."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()

    def pending(self) -> bool:
        """Whether bytes beyond the last frame were already received."""
        return bool(self._buffer)

    def _frame(self) -> dict[str, Any] | None:
        if len(self._buffer) < HEADER_SIZE:
            return None
        length = decode_header(bytes(self._buffer[:HEADER_SIZE]), self.max_bytes)
        if len(self._buffer) < HEADER_SIZE + length:
            return None
        body = bytes(self._buffer[HEADER_SIZE:HEADER_SIZE + length])
        del self._buffer[:HEADER_SIZE + length]
        return decode_body(body)

    def read(self, sock: Any, deadline: float) -> dict[str, Any]:
        """Return the next frame; raise TimeoutError at ``deadline`` (time.monotonic())."""
        import time

        while True:
            frame = self._frame()
            if frame is not None:
                return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(1 << 20)
            except TimeoutError:
                raise
            except OSError as exc:
                raise WireError(f"connection failed: {exc}") from None
            if not chunk:
                if self._buffer:
                    raise WireError("peer closed the connection in the middle of a frame")
                raise PeerClosed("peer closed the connection")
            self._buffer += chunk
