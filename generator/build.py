"""The pipeline, top to bottom: load → validate → publicity → mask → render → site → audit → swap.

Each stage is a call you can point at. A stage that finds problems stops the
run with all of them (`BuildFailed`); the published site is replaced only at
the very end, atomically, after the audit passed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import gc
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from operator import itemgetter
from pathlib import Path
from typing import Callable, TypeVar

from .audit import audit_memo, failed, prepare, prescan, summary
from .beside import can_fork, run_beside
from .cache import Cache
from .detect import clean_texts_used, remember_clean_texts, use_clean_texts
from .folders import Beside, walk_with
from .load import load
from .mask import MaskRecord, mask
from .model import Dataset, Decision, Notice
from .mkdocs_notices import PageLinks, settled
from .pdf import FONT_HINT, has_chinese_font
from .programs import all_programs
from .publicity import PersonChecks, decide, manifest, notice_digest
from .render import render, search_words
from .report import BuildFailed, Problem, Severity, errors, sort_key
from .site import build_site, settings_not_utf8
from .stored import roster_facts
from .validate import validate
from .workdays import WorkCalendar

T = TypeVar("T")
_person_key = itemgetter(0)  # of a roster fact (stored.roster_facts)

try:
    import fcntl
except ImportError:  # not on Windows: staging folders of killed builds are not swept there
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Paths:
    data: Path
    content: Path
    templates: Path
    config: Path  # mkdocs.yml (its theme.custom_dir points at site_overrides/)
    out: Path


@dataclass
class BuildResult:
    decisions: dict[str, Decision]
    mask_record: list[MaskRecord]
    warnings: list[Problem] = field(default_factory=list)
    pages: int = 0


def _stop_on_errors(stage: str, problems: list[Problem]) -> list[Problem]:
    if errors(problems):
        raise BuildFailed(stage, sorted(problems, key=sort_key))
    return [p for p in problems if p.severity is Severity.WARNING]


def build(paths: Paths, today: dt.date, progress: Callable[[str], None] = lambda _: None,
          pdfs: bool | None = None) -> BuildResult:
    """`pdfs`: None makes PDF copies where the machine has a Chinese font; False never (benchmarks)."""
    programs = all_programs()

    progress("读取数据")
    cache = Cache(cache_dir(paths.out))
    # The dataset (~1,000,000 objects for a county) lives as long as the build: the cycle collector is
    # paused while it is read and then never walks it (each walk takes ~0.4 s; reading makes no cycles).
    # So are the public notices and the rendered pages (_build): walking them again and again took ~0.5 s
    # of one approval. All is handed back to the collector when the build ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        dataset, problems = load(paths.data, cache)
        gc.freeze()
        if collecting:
            gc.enable()
        return _build(paths, today, progress, pdfs, programs, cache, dataset, problems)
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()


def _build(paths: Paths, today: dt.date, progress: Callable[[str], None], pdfs: bool | None, programs: dict,
           cache: Cache, dataset: Dataset, problems: list[Problem]) -> BuildResult:
    progress("校验数据")
    remember_clean_texts(cache.read_json(NAMES_FILE).get("clean", ()))
    previous = read_manifest(paths.out)
    digest_of = remembered(notice_digest, "notice-digest", dataset.file_keys, cache)

    def rules() -> tuple[dict[str, Decision], list[Problem]]:
        progress("判定公示状态")
        calendar = WorkCalendar(dataset.holidays)
        memo = PersonChecks(cache.keys(PERSON_CHECKS_KIND), dataset.file_keys, calendar)
        decided = decide(dataset.notices, programs, today, calendar, previous, dataset.unreadable, digest_of, memo)
        for key in memo.found:
            if key in memo.passed:
                cache.keep_stored(PERSON_CHECKS_KIND, key)
            else:
                cache.remember(PERSON_CHECKS_KIND, key, "")
        return decided

    def rules_and_mask(valid: bool) -> tuple[tuple[dict[str, Decision], list[Problem]], tuple | None]:
        decided = rules()
        if not valid:
            return decided, None
        progress("脱敏")
        try:
            return decided, mask(dataset.notices, programs, cache, dataset.file_keys)
        except Exception:  # noqa: BLE001 - on rows validation rejects: it says why (else masked again below)
            return decided, None

    # The publicity rules are decided before masking (the two are independent) so that a clerk
    # sees a bad row and a 公布 that came too early in the same run; and beside validation, on a second
    # core, with the masking: nothing is written before validation has passed.
    found_first, ((decisions, found), masked) = _validate_beside(dataset, programs, cache, rules_and_mask)
    problems += found_first
    warnings = _stop_on_errors("validate", problems + found)
    if dataset.site is None or dataset.divisions is None:  # load always says why; never build without them
        raise BuildFailed("load", problems or [Problem("site-unreadable", "无法读取网站设置或区划。", "data/")])

    if masked is None:
        progress("脱敏")
        masked = mask(dataset.notices, programs, cache, dataset.file_keys)  # raising here as it does
    public, mask_record = masked
    gc.freeze()  # kept to the end of the build (see `build`)

    progress("生成页面")
    font = has_chinese_font()  # the machine, read here at the edge: without a Chinese font no PDFs
    if pdfs is None:
        pdfs = font
    elif not font:
        pdfs = False
    if not font:
        warnings.append(Problem("no-chinese-font", "本机没有中文字体，本次不生成 PDF 打印版。" + FONT_HINT, "PDF",
                                severity=Severity.WARNING))
    # mkdocs.yml and site_overrides/ saved as GBK are named in the same run as content/ and templates/.
    settings = settings_not_utf8(paths.config)
    try:
        rendered = render(dataset, public, decisions, programs, paths.templates, paths.content, today, pdfs, cache)
    except BuildFailed as stopped:
        raise BuildFailed(stopped.stage, sorted(stopped.problems + settings, key=sort_key)) from None
    warnings += _stop_on_errors("render", settings + rendered.warnings)
    gc.freeze()  # as above

    progress("生成网站")
    paths.out.parent.mkdir(parents=True, exist_ok=True)
    for stale in paths.out.parent.glob(f".{paths.out.name}.old-*"):  # left by a machine that stopped midway
        shutil.rmtree(stale, ignore_errors=True)
    sweep_abandoned_staging(paths.out)
    work = Path(tempfile.mkdtemp(prefix=f".{paths.out.name}.build-", dir=paths.out.parent))
    held = scan = walking = None
    try:
        held = hold_staging(work)
        # Notice pages the published site already holds, made from the same keys, are linked, not rewritten.
        published = cache.read_json(PAGES_FILE)
        # Without the lock a killed build's staging folder is never swept: it must not hold the spare.
        spare, spare_done = claim_spare(paths.out, work, cache) if held is not None else (None, None)
        # What the spare's folders hold, read in a process of its own while MkDocs builds the other pages.
        scan = Beside("spare", spare) if spare is not None and spare_done is not None else None
        links = PageLinks(str(paths.out) if paths.out.is_dir() else None, _pages_of(published), spare=spare,
                          spare_done=spare_done, spare_scan=scan)
        site_dir, problems = build_site(rendered, paths.config, work, dataset.site.title, dataset.site.base_url, today,
                                        search_words(dataset, programs), paths.templates / "pdf.css" if pdfs else None,
                                        cache, links)
        _stop_on_errors("site", problems)
        # The notice folders are finished (mkdocs_notices writes them last, and nothing after): the audit's
        # walk of them (15,000 folders) starts now, in a process of its own (folders.py, not a fork of this
        # one), while the manifest and the audit's inputs are made here; the rest of the site is walked after.
        walked = time.time_ns()
        notices = site_dir / "notices"
        walking = Beside("walk", notices) if notices.is_dir() and not notices.is_symlink() else None
        write_manifest(site_dir, manifest(dataset.notices, decisions, today, digest_of))

        progress("审计个人信息")
        allowed = frozenset(re.sub(r"[^0-9]", "", h.number) for h in dataset.site.hotlines)

        keys: set[str] = set()
        for n in dataset.notices:  # 150,000 rows' keys: taken out in C (a generator took 0.1 s)
            keys.update(map(_person_key, roster_facts(n)))
        keys.discard("")
        keys.discard(None)
        person_keys = frozenset(keys)
        # The scanners, made while the walk runs (compiled once, then kept in the cache).
        prepare(allowed, person_keys, None, cache.blobs(SCANNERS_KIND))
        memo = prescan(site_dir, PRESCANNED, allowed, person_keys, cache.read_json("audit-memo.json"))
        entries = walk_with(site_dir, "notices", walking.result(fallback=False) if walking is not None else None)
        # Every file is read but those that are the very files an earlier build's audit read (same inode,
        # size and change time: audit_memo): a live page edited in place has a new change time.
        findings, memo = audit_memo(site_dir, allowed, person_keys, memo, entries, walked)
        if failed(findings):
            raise BuildFailed("audit", [Problem("audit-finding", summary(findings, "新生成的网站"), str(paths.out))])

        progress("发布")
        links.done = settled(links.done, str(work))
        swap_into_place(site_dir, paths.out)
        try:
            cache.prune(paths.out)
            cache.write_json("audit-memo.json", memo)  # this build's files only: the memo stays one site big
            cache.write_json(PAGES_FILE, {"pages": links.written, "done": links.done, "notices": links.notices})
            cache.write_json(NAMES_FILE, {"clean": clean_texts_used()})
        except OSError as exc:  # the new site is published; only the next build's speed is at stake
            warnings.append(Problem("cache-not-saved", f"网站已更新，但缓存没有保存（{exc.strerror or exc}）。"
                                    "下次生成会慢一些；请检查磁盘空间。", str(cache.root), severity=Severity.WARNING))
        # The old site's notices folder, for the next build, with the time its build had finished them.
        keep_spare(work / "site", paths.out, cache, published)
        work = discard_in_background(work)  # the rest of the old site
    finally:
        for process in (scan, walking):
            if process is not None:
                process.close()  # where the build stopped before its result was asked for
        shutil.rmtree(work, ignore_errors=True)
        if held is not None:
            os.close(held)
    return BuildResult(decisions, mask_record, warnings, len(rendered.pages) + len(rendered.notices))


# Above this many notices to read anew (a first build, a new version of the tool), validation runs before
# the rules, not beside them: it takes seconds then, against the rules' one, and a forked process that
# reads every row would copy most of the dataset's memory.
BESIDE_MAX_NEW = 1000


def _validate_beside(dataset: Dataset, programs: dict, cache: Cache, then: Callable[[bool], T]) -> tuple[list[Problem], T]:
    """`validate(dataset, programs, cache)` in a forked process while `then(True)` runs here (beside.run_beside):
    what validation remembers in the cache and in the name check's memo is handed back with its problems.
    The same problems, entries and memo as one after the other; on one core, or for a dataset mostly
    read anew (BESIDE_MAX_NEW), they do run one after the other, and `then` is told whether validation
    found no error (a first build of bad data need not mask 150,000 rows before saying so)."""
    new = sum(1 for n in dataset.notices if not getattr(n.roster, "pending", False))
    if new > BESIDE_MAX_NEW or not can_fork():
        found = validate(dataset, programs, cache)
        return found, then(not errors(found))
    mark = cache.mark()
    cache.close()  # a SQLite connection must not cross a fork: each process opens its own

    def checked() -> tuple[list[Problem], tuple, list[str]]:
        return validate(dataset, programs, cache), cache.changes_since(mark), clean_texts_used()

    (found, changes, clean), result = run_beside(checked, lambda: then(True))
    cache.take(changes)  # where it ran here (no fork, or the child failed), a second time: the same
    use_clean_texts(clean)
    return found, result


def remembered(fn: Callable[[Notice], str], kind: str, file_keys: dict[str, str], cache: Cache) -> Callable[[Notice], str]:
    """`fn`, a function of a notice alone (and of this program's code), remembered in the build cache
    under the notice's file key (load._load_notice_cached); a notice read without one is computed."""
    known = cache.entries(kind)

    def value(notice: Notice) -> str:
        key = file_keys.get(notice.id)
        if key is None:
            return fn(notice)
        return cache.remembered(kind, key, known, lambda: fn(notice), lambda v: isinstance(v, str))

    return value


# Rewritten by every approval and the biggest file of a site (4 MB for a county): audited while the new
# site is walked (audit.prescan), not after.
PRESCANNED = ["search/search_index.json"]
SCANNERS_KIND = "scanners"  # in the cache: the audit's compiled scanners (audit_scan._database)
PERSON_CHECKS_KIND = "person-checks"  # in the cache: 公布 whose people passed their checks (publicity.PersonChecks)
MANIFEST_FILE = "manifest.json"
NAMES_FILE = "clean-texts.json"  # in the cache: free texts validate found free of names (detect.possible_names)
PAGES_FILE = "pages.json"  # in the cache: how the published notice pages were made (mkdocs_notices.PageLinks)
SPARE_FILE = "spare.json"  # in the cache: the spare notices folder, and when its build had finished it (keep_spare)
SPARE_RECORD_NS = 24 * 3600 * 10**9  # a record older than a day is not used (a clock set back, a file system …)


def cache_dir(out: Path) -> Path:
    """Where a site's build cache lives: next to it, never inside it (site → .site.cache)."""
    return out.parent / f".{out.name}.cache"


def read_manifest(site: Path) -> dict | None:
    """What the currently published site published (None before the first build)."""
    path = site / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"unreadable": True}  # check_manifest reports it: a broken record must not disable the check


def write_manifest(site: Path, content: dict) -> None:
    """As `json.dumps(content, sort_keys=True, indent=1)` but a notice a line (a diff of two shows which
    notices changed): json's indenting is written in Python, its compact form in C (0.16 -> 0.09 s a county),
    and a notice's entry as publicity.manifest makes it is written out field by field (-> 0.03 s)."""
    one = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # one encoder: json.dumps makes one a call
    lines = []
    for key, value in sorted(content.items()):
        if key == "notices" and isinstance(value, dict) and value:
            notices = [f"  {one(i)}: {_manifest_entry(entry) or one(entry)}" for i, entry in sorted(value.items())]
            lines.append(f' {one(key)}: {{\n' + ",\n".join(notices) + "\n }")
        else:
            lines.append(f" {one(key)}: {one(value)}")
    text = "{\n" + ",\n".join(lines) + "\n}" if lines else "{}"
    (site / MANIFEST_FILE).write_text(text + "\n", encoding="utf-8")


_ENTRY_FIELDS = ("digest", "kind", "last_day", "program", "start")  # publicity.manifest's, in sorted order


def _manifest_entry(entry: object) -> str | None:
    """`one(entry)` for an entry of the fields publicity.manifest writes, all text (last_day text or None),
    as the encoder writes it (its own escaping of each text); None for any other entry."""
    if type(entry) is not dict or len(entry) != len(_ENTRY_FIELDS):
        return None
    try:
        digest, kind, last_day, program, start = map(entry.__getitem__, _ENTRY_FIELDS)
    except KeyError:
        return None
    if not all(type(v) is str for v in (digest, kind, program, start)) or not (last_day is None or type(last_day) is str):
        return None
    text = encode_basestring
    return (f'{{"digest": {text(digest)}, "kind": {text(kind)}, "last_day": {"null" if last_day is None else text(last_day)}, '
            f'"program": {text(program)}, "start": {text(start)}}}')


def spare_dir(out: Path) -> Path:
    """Where the notices folder of the site published before the current one waits for the next build
    (next to the site, never inside it; never served)."""
    return out.parent / f".{out.name}.spare-notices"


def claim_spare(out: Path, work: Path, cache: Cache | None = None) -> tuple[str | None, int | None]:
    """Move the spare notices folder into this build's staging folder (a rename: two builds at once
    cannot both take it). A failed build deletes it with the staging folder. Returns its path and, where
    the cache's record (`keep_spare`) is of this very folder, kept less than a day ago, when the build that
    made it had finished its notice folders (mkdocs_notices._as_left); else None."""
    claimed = work / "spare-notices"
    record = cache.read_json(SPARE_FILE) if cache is not None else {}
    try:
        st = os.lstat(spare_dir(out))
        os.rename(spare_dir(out), claimed)
        taken = os.lstat(claimed)
    except OSError:
        return None, None
    done, kept = record.get("done"), record.get("kept")
    # The folder's device, inode and status change time (set by the rename that made it the spare, and by
    # any entry made or removed in it since): the very folder the record was made of, unchanged, and the
    # one taken (no other build put another there between the look and the rename).
    if (record.get("folder") != [st.st_dev, st.st_ino, st.st_ctime_ns] or (taken.st_dev, taken.st_ino) != (
            st.st_dev, st.st_ino) or not isinstance(done, int) or not isinstance(kept, int)
            or not 0 <= time.time_ns() - kept < SPARE_RECORD_NS):
        done = None
    return str(claimed), done


def keep_spare(old_site: Path, out: Path, cache: Cache | None = None, published: dict | None = None) -> None:
    """After the swap: keep the old site's notices folder for the next build (mkdocs_notices
    NoticePagesPlugin._adopt_spare) instead of deleting 15,000 folders now and making them again then.
    `published`: the record (PAGES_FILE) this build read of the site it replaced. Where that site's notices
    folder is the very one its build recorded, unchanged since (device, inode and ctime: nothing made,
    removed or renamed in it, no other folder put in its place), the time by which that build had finished
    its notice folders is kept in the cache with the spare's own identity (SPARE_FILE)."""
    notices = old_site / "notices"
    try:
        if not notices.is_dir() or notices.is_symlink() or os.path.lexists(spare_dir(out)):
            return  # nothing to keep, or a spare is there already (its record, if any, stays)
        before = os.lstat(notices)
        os.rename(notices, spare_dir(out))
    except OSError:
        return  # the next build makes its folders
    if cache is None or cache.root is None:
        return
    published = published or {}
    done = published.get("done")
    try:
        (cache.root / SPARE_FILE).unlink(missing_ok=True)  # a record of an earlier spare: never of this one
        st = os.lstat(spare_dir(out))
        # The rename is the file system's latest change to the folder: its ctime is after `done`, unless
        # the record is not of this folder's build.
        if (published.get("notices") == [before.st_dev, before.st_ino, before.st_ctime_ns] and isinstance(done, int)
                and (st.st_dev, st.st_ino) == (before.st_dev, before.st_ino) and st.st_ctime_ns > done):
            cache.write_json(SPARE_FILE, {"folder": [st.st_dev, st.st_ino, st.st_ctime_ns], "done": done,
                                          "kept": time.time_ns()})
    except OSError:
        pass  # the next build tidies every folder it takes over


def _pages_of(record: dict) -> dict[str, list]:
    """The notice pages of a PAGES_FILE record (none in the record of an earlier version)."""
    pages = record.get("pages")
    return pages if isinstance(pages, dict) else {}


# A build holds a lock on a file in its staging folder while it runs; the kernel lets go of it when the
# process ends, however it ends. A staging folder whose lock can be taken was left by a build that was
# killed (or a machine that lost power): with the site it was making and the spare notices folder it had
# claimed (~900 MB for a county), it would stay for good.
STAGING_LOCK = ".building"


def hold_staging(work: Path) -> int | None:
    """Lock this build's staging folder for as long as the returned descriptor is open."""
    if fcntl is None:
        return None
    # Locked before it has the name a sweep looks for, so no sweep can take it first.
    try:
        fd = os.open(work / (STAGING_LOCK + ".new"), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return None  # not swept if the build is killed; the build itself goes on
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(work / (STAGING_LOCK + ".new"), work / STAGING_LOCK)
    except OSError:
        os.close(fd)
        return None
    return fd


def sweep_abandoned_staging(out: Path) -> None:
    """Delete the staging folders of builds of `out` that ended without cleaning up; a folder whose build
    is running (its lock held), or without a lock yet (just made), is left alone."""
    if fcntl is None:
        return
    for folder in out.parent.glob(f".{out.name}.build-*"):
        try:
            fd = os.open(folder / STAGING_LOCK, os.O_RDWR | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a build is running there
        else:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)


def discard_in_background(work: Path) -> Path:
    """Rename the finished staging folder (it holds the previous site now) and delete it in a detached
    `rm -rf`, so the command returns without waiting. Returns the (now empty) path left to remove."""
    old = work.with_name(work.name.replace(".build-", ".old-", 1))
    try:
        os.rename(work, old)
        subprocess.Popen(["rm", "-rf", "--", str(old)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return old if old.exists() else work  # no rm here: deleted in the foreground, as before
    return work


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where the OS cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def swap_into_place(new_site: Path, out: Path) -> None:
    """Put `new_site` at `out` so a reader sees the whole old site or the whole new one, never a mix.

    `new_site` ends up holding the old site (the caller removes it).
    """
    if not out.exists():
        os.rename(new_site, out)
        return
    if _exchange(new_site, out):
        return
    # Fallback where renameat2 is missing: two renames, with a moment in which `out` is absent.
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(out, old)
    os.rename(new_site, out)
    os.rename(old, new_site)
