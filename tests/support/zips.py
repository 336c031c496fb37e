"""Zip archives written field by field, so that tests can give cnncalc any archive a careless or hostile tool
might write: a wrong checksum, a size that lies, an unknown compression, an encrypted member, a bomb.

>>> data = archive([member("config.json", b"{}")])
>>> import io, zipfile
>>> zipfile.ZipFile(io.BytesIO(data)).read("config.json")
b'{}'
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, replace

STORED, DEFLATED = 0, 8


@dataclass(frozen=True)
class Member:
    """One member as the archive's headers describe it; every field may be set to anything."""

    name: bytes
    payload: bytes  # the bytes stored (compressed when method says so)
    method: int = STORED
    crc: int = 0
    compressed_size: int = 0
    size: int = 0
    flags: int = 0
    extra: bytes = b""
    local_name: bytes | None = None  # the name in the local header, when it differs from the directory's


def member(name: str, data: bytes, method: int = STORED, **fields: object) -> Member:
    """A member holding ``data``, compressed by ``method``, its headers right unless ``fields`` say otherwise."""
    payload = data if method == STORED else deflate(data)
    right = Member(name.encode(), payload, method, zlib.crc32(data), len(payload), len(data))
    return replace(right, **fields)  # type: ignore[arg-type]


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def deflated_zeros(n: int) -> bytes:
    """``n`` zero bytes, deflated (a zip bomb's payload: about a thousandth of ``n``), made without holding them."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    out = []
    while n > 0:
        out.append(c.compress(chunk[: min(n, len(chunk))]))
        n -= len(chunk)
    out.append(c.flush())
    return b"".join(out)


def archive(members: list[Member], *, comment: bytes = b"", entries: int | None = None) -> bytes:
    """The zip file of ``members``: local headers and payloads, the central directory, the end record."""
    body, directory = b"", b""
    for m in members:
        offset = len(body)
        local = m.local_name if m.local_name is not None else m.name
        body += struct.pack(
            "<4s5H3L2H",
            b"PK\x03\x04",
            20,
            m.flags,
            m.method,
            0,
            0,
            m.crc,
            m.compressed_size,
            m.size,
            len(local),
            len(m.extra),
        )
        body += local + m.extra + m.payload
        directory += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            m.flags,
            m.method,
            0,
            0,
            m.crc,
            m.compressed_size,
            m.size,
            len(m.name),
            len(m.extra),
            0,
            0,
            0,
            0,
            offset,
        )
        directory += m.name + m.extra
    count = len(members) if entries is None else entries
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(body), len(comment))
    return body + directory + end + comment
