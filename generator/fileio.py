"""Reading many small files: a build reads 15,000 notice files and the audit 15,000 pages."""

from __future__ import annotations

import os

# The very file read before. Any write to a file, and any change of its times (os.utime), sets its change
# time to the clock's now, which no call can set back: a file with the same device, inode, size,
# modification and change times as when it was read has not been written since, and need not be read
# again (the build audit's memo of the pages it read, load's of the notice files it hashed). Only on
# POSIX systems (on Windows st_ctime is the creation time), and only where the change time was already
# SETTLED_NS older than the moment its stat was taken: the clock the kernel stamps files with is coarse
# (a few milliseconds), so a write in the same tick as the one before it could leave the time as it was
# ("racy" files, as git calls them); those are read again next time. Stores into a memory-mapped file
# after its first one, and file systems whose times come from elsewhere (network mounts), may leave the
# change time as it was: a record is trusted for a day at most (RECORD_NS), then the file is read again.
IDENTITY_MEMO = os.name == "posix"
SETTLED_NS = 2 * 10**9
RECORD_NS = 24 * 3600 * 10**9

_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def read_bytes(path: str | os.PathLike, size: int | None = None) -> bytes:
    """`Path(path).read_bytes()` (the same bytes, the same OSError) without a buffered file object, which
    costs about twice the system calls' time for a small file. `size`: the file's size if known (a stat
    made before), else asked of the open file; the file is read to its end whatever it is now. A read of
    exactly `size` bytes when `size + 1` were asked is taken as the end (a short read would have to stop at
    that very byte), which saves a county's 15,000 files a second read each."""
    fd = os.open(path, _FLAGS)
    try:
        return _read(fd, os.fstat(fd).st_size if size is None else size)
    finally:
        os.close(fd)


def read_bytes_and_stat(path: str | os.PathLike) -> tuple[bytes, os.stat_result]:
    """The bytes of the file at `path` and the stat of that very file (of the open file, taken before it
    was read), whatever the path points at before or after."""
    fd = os.open(path, _FLAGS)
    try:
        st = os.fstat(fd)
        return _read(fd, st.st_size), st
    finally:
        os.close(fd)


def _read(fd: int, size: int) -> bytes:
    data = os.read(fd, size + 1)
    if not data or len(data) == size:  # the size it had, and no more: at its end (no read more to say so)
        return data
    parts = [data]
    while chunk := os.read(fd, 1 << 20):  # a file that grew since: read to its end
        parts.append(chunk)
    return data if len(parts) == 1 else b"".join(parts)
