"""Scans of a folder tree, and a small process of their own to run them in beside the build.

A rebuild after one approval walks two trees of 15,000 notice folders: the new site, for the audit
(audit.walk, while the audit's inputs are made here), and the spare notices folder it takes over
(mkdocs_notices.NoticePagesPlugin._adopt_spare, while MkDocs builds the other pages). Both are system
calls more than Python. A forked copy of the build (1 GB for a county) costs its page tables and then a
page copied at every write the build makes to memory they share; this file instead runs as a script of
its own in a fresh interpreter (`python -I -S`, the standard library's os and stat alone: 20 ms to
start) and hands its result back through a pipe, as marshal data. Where the process cannot be started
or does not hand a result back, the caller scans in its own process: the same result.
"""

from __future__ import annotations

import marshal
import os
import stat
import subprocess
import sys

# One entry under the audited folder: its path relative to the folder (with "/"), "dir", "file" or ""
# (anything else, or gone), its size, and for a file what says it is the very same file (device, inode,
# modification and change times: audit.audit_memo), else None.
Entry = tuple[str, str, int, "tuple[int, int, int, int] | None"]


def walk(root: str | os.PathLike, leave: frozenset[str] = frozenset()) -> list[Entry]:
    """Everything under `root`, in Path's order (by parts), walked with os.scandir: a stat per file,
    none per folder. Links are followed to what they point at, but folders behind links are not
    entered (as os.walk does). The folders of `root` named in `leave` are listed, not entered."""
    found: list[Entry] = []
    folders = [""]
    top = os.fspath(root)
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(f"{top}/{folder}" if folder else top) as listing:
                for entry in listing:
                    rel = f"{folder}/{entry.name}" if folder else entry.name
                    try:
                        if entry.is_dir():
                            found.append((rel, "dir", 0, None))
                            if not entry.is_symlink() and rel not in leave:
                                folders.append(rel)
                        elif entry.is_file():
                            st = entry.stat()
                            found.append((rel, "file", st.st_size, (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)))
                        else:
                            found.append((rel, "", 0, None))
                    except OSError:
                        found.append((rel, "", 0, None))
        except OSError:
            continue
    found.sort(key=_path_order)
    return found


def _path_order(entry: Entry) -> str:
    """By parts: "/" read as a character before every other (no name holds NUL), without a list a path."""
    return entry[0].replace("/", "\x00")


def walk_with(root: str | os.PathLike, name: str, inside: list[Entry] | None) -> list[Entry]:
    """`walk(root)`, where `inside` is what `walk(root/name)` gave of the folder `name` (walked earlier,
    once nothing more was written into it): the rest is walked now and the two put in order. None, or a
    `name` that is no longer a folder (a link to one is not entered): the whole of `root` walked now."""
    if inside is None:
        return walk(root)
    found = walk(root, frozenset({name}))
    if not any(rel == name and kind == "dir" for rel, kind, *_ in found) or os.path.islink(os.path.join(root, name)):
        return walk(root)
    found += [(f"{name}/{rel}", kind, size, ident) for rel, kind, size, ident in inside]
    found.sort(key=_path_order)
    return found


# A spare notices folder's entry: its name; whether it is a folder (not a link); and of a folder its
# mode and change time (lstat) and, where it holds a regular file index.html, that file's
# [inode, size, mtime_ns, mode] (lstat), else None.
SpareEntry = tuple[str, bool, int, int, "list[int] | None"]


def spare_listing(folder: str, stats: bool = True) -> list[SpareEntry]:
    """What mkdocs_notices._adopt_spare reads of the spare notices folder as it takes it over (without
    `stats`, the names and kinds alone: 0, 0, None)."""
    found = []
    with os.scandir(folder) as listing:
        entries = list(listing)
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False) or not stats:
            found.append((entry.name, entry.is_dir(follow_symlinks=False), 0, 0, None))
            continue
        st = entry.stat(follow_symlinks=False)
        try:
            page = os.lstat(os.path.join(entry.path, "index.html"))
        except FileNotFoundError:
            page = None
        shown = [page.st_ino, page.st_size, page.st_mtime_ns, page.st_mode] if page and stat.S_ISREG(page.st_mode) else None
        found.append((entry.name, True, st.st_mode, st.st_ctime_ns, shown))
    return found


SCANS = {"walk": walk, "spare": spare_listing}


class Beside:
    """`SCANS[scan](folder)` in a process of its own, started now; `result()` waits for it."""

    def __init__(self, scan: str, folder: str | os.PathLike):
        self.scan, self.folder = scan, os.fspath(folder)
        self._process: subprocess.Popen | None = None
        if not sys.executable or getattr(sys, "frozen", False):  # no Python to start (an embedded or frozen one)
            return
        # -I (isolated) ignores PYTHONUTF8: UTF-8 mode is asked for as this process has it, and the process
        # scans only where it names files as this one does (else it exits, and the scan is made here).
        command = [sys.executable, "-I", "-S", *(["-X", "utf8"] if sys.flags.utf8_mode else []),
                   os.path.abspath(__file__), scan, self.folder, sys.getfilesystemencoding(),
                   sys.getfilesystemencodeerrors()]
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL)
        except (OSError, ValueError, TypeError):
            self._process = None

    def result(self, fallback: bool = True):
        """The scan's result, from the process; where it has none, made here (`fallback`) or None."""
        process, self._process = self._process, None
        if process is not None:
            try:
                data = process.stdout.read()
            except BaseException:  # interrupted: the process is not left scanning
                process.kill()
                raise
            finally:
                process.stdout.close()
                code = process.wait()
            if code == 0:
                try:
                    return marshal.loads(data)
                except (EOFError, ValueError, TypeError):
                    pass
        return SCANS[self.scan](self.folder) if fallback else None

    def close(self) -> None:
        """Stop the process if its result was not asked for (the build stopped before, or did not need it)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.stdout.close()
            process.wait()


if __name__ == "__main__":
    scan, folder, encoding, errors = sys.argv[1:5]
    if (sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()) != (encoding, errors):
        sys.exit(2)  # file names would be read otherwise than the build reads them
    sys.stdout.buffer.write(marshal.dumps(SCANS[scan](folder)))
