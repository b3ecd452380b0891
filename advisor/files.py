"""Bounded reads of files a user names or a folder holds (run files, replays, data files, caches): the one place
that refuses what is no regular file (a FIFO would block the open, a device would never end: E13, E16, E17), caps
the bytes read (a file may grow while it is read) and the time the read may take, and decodes UTF-8 strictly. Also
the cache folder of fitted models (read_cache, write_cache: a bad cache is refitted, never raised: E18)."""
from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import BinaryIO

from .errors import FileReadError

# A read gives up after this long: a local file of the sizes read here takes milliseconds; a slow network or FUSE
# mount that trickles bytes would otherwise hold the command (or a server thread) for as long as it likes.
READ_DEADLINE_S = 10.0
_CHUNK = 1 << 20


def open_regular(path: Path | str, max_bytes: int | None = None) -> BinaryIO:
    """`path` opened for reading in binary. The open never blocks (O_NONBLOCK: a FIFO would wait for a writer).
    Raises FileReadError naming the file (never its folder) when it cannot be opened, is no regular file (a folder,
    FIFO, device or socket, also behind a symlink) or is over max_bytes."""
    name = Path(path).name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FileReadError(f"{name}: cannot open ({exc.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise FileReadError(f"{name}: is not a regular file (a folder, device or pipe)")
    if max_bytes is not None and info.st_size > max_bytes:
        os.close(fd)
        raise FileReadError(f"{name}: is {info.st_size} bytes; the limit is {max_bytes}")
    return os.fdopen(fd, "rb")


def read_bounded(path: Path | str, max_bytes: int, deadline_s: float = READ_DEADLINE_S) -> bytes:
    """The bytes of a regular file of at most max_bytes, read within deadline_s seconds (checked between 1 MiB
    chunks). Raises FileReadError (see open_regular; also when the file grows past max_bytes while it is read, or
    the read takes longer than deadline_s)."""
    name = Path(path).name
    start = time.monotonic()
    chunks: list[bytes] = []
    total = 0
    with open_regular(path, max_bytes) as f:
        while True:
            try:
                chunk = f.read(min(_CHUNK, max_bytes + 1 - total))
            except OSError as exc:
                raise FileReadError(f"{name}: cannot be read ({exc.strerror})") from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise FileReadError(f"{name}: grew past the limit of {max_bytes} bytes while it was read")
            if time.monotonic() - start > deadline_s:
                raise FileReadError(f"{name}: reading took over {deadline_s:g} s; copy it to a local disk")
    return b"".join(chunks)


def read_text(path: Path | str, max_bytes: int, deadline_s: float = READ_DEADLINE_S) -> str:
    """The text of a UTF-8 file (a byte-order mark allowed: Excel writes one), read as read_bounded reads it.
    Raises FileReadError, also naming the line of the first byte that is not UTF-8."""
    data = read_bounded(path, max_bytes, deadline_s)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise FileReadError(f"{Path(path).name}, line {line}: not UTF-8 text ({exc.reason}); save the file as "
                            "UTF-8") from None


ENV_CACHE_DIR = "ADVISOR_CACHE_DIR"


def cache_dir() -> Path:
    """ADVISOR_CACHE_DIR, else the user's cache directory."""
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("advisor", appauthor=False))


def read_cache(name: str, key: str, max_bytes: int) -> dict | None:
    """The JSON object cached as `name` when it was written for `key`, else None (missing, a FIFO, a device, too
    large, not JSON, another key: the caller refits and checks the fields it uses itself)."""
    try:
        data = json.loads(read_bounded(cache_dir() / f"{name}-{key}.json", max_bytes))
    except (OSError, ValueError):  # FileReadError is a ValueError
        return None
    return data if isinstance(data, dict) and data.get("key") == key else None


def write_cache(name: str, key: str, fitted: dict) -> None:
    """Caches a JSON object for `key`, atomically (a concurrent reader sees all or nothing); a read-only home only
    costs the refit next time."""
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}-{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"key": key, **fitted}))
        tmp.replace(folder / f"{name}-{key}.json")
    except OSError:
        pass
