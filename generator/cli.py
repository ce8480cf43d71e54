"""`python -m generator <command>`: Chinese messages, an exit code, never a traceback for bad input."""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import os
import re
import sys
import time
import traceback
from pathlib import Path

from .detect import redact
from .audit import Finding, RawValues, as_json, audit, failed, summary, walk
from .beside import run_beside
from .load import load, load_for_audit
from .masking_report import masking_report
from .programs import all_programs
from .roster_read import read_identities
from .validate import privacy_problems
from .model import NoticeKind
from .pseudonym import KeyProblem, generate_key_file
from .report import BuildFailed, Severity, errors

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

STAGE_NAMES = {
    "load": "读取数据",
    "validate": "校验数据和公示规则",
    "render": "生成页面",
    "site": "生成网站",
    "audit": "个人信息审计",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own messages are English: the common ones in Chinese
        for english, chinese in ((r"^argument ([^:]+): ", r"参数 \1："),
                                 (r"^the following arguments are required: ", "缺少参数："),
                                 (r"^unrecognized arguments: ", "不认识的参数："),
                                 (r"invalid choice: '([^']*)' \(choose from (.*)\)", r"不能是“\1”，只能是 \2"),
                                 (r"expected one argument", "后面要写一个值"),
                                 (r"invalid int value: '([^']*)'", r"应为整数，而不是“\1”"),
                                 (r"not allowed with argument ", "不能与这个参数同时使用："),
                                 (r"ambiguous option: ([^ ]+) could match (.*)", r"参数 \1 不完整，可能是：\2")):
            message = re.sub(english, chinese, message)
        # What was typed is repeated: masked where it looks like an ID or a phone number (typed into a date).
        print(redact(f"命令参数有误：{message.rstrip('。')}。用 {self.prog} --help 查看用法。"), file=sys.stderr)
        sys.exit(EXIT_USAGE)


_CLERK_DATE = re.compile(r"(\d{4})([-./])(\d{1,2})\2(\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})日?")


def _date(value: str) -> dt.date:
    """2026-12-01, and the ways a clerk also writes it: 2026.12.1, 2026/12/01, 2026年12月1日 (one kind of
    separator; nothing else, not even what date.fromisoformat also takes, such as 20261201)."""
    m = _CLERK_DATE.fullmatch(value.strip(" "))
    try:
        if m is None:
            raise ValueError(value)
        year, month, day = (m.group(1), m.group(3), m.group(4)) if m.group(1) else m.group(5, 6, 7)
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD，例如 2026-11-30，而不是“{value}”") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m generator", description="社会救助公示公开网站生成工具")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = commands.add_parser("build", help="校验、脱敏、判定公示状态、生成并审计网站")
    b.add_argument("--data", type=Path, default=Path("data"), help="脱敏后的数据目录（默认 data）")
    b.add_argument("--content", type=Path, default=Path("content"), help="政策解读等页面（默认 content）")
    b.add_argument("--templates", type=Path, default=Path("templates"), help="页面模板（默认 templates）")
    b.add_argument("--config", type=Path, default=Path("mkdocs.yml"), help="MkDocs 配置（默认 mkdocs.yml）")
    b.add_argument("--out", type=Path, default=Path("site"), help="网站输出目录（默认 site）")
    b.add_argument("--today", type=_date, default=None,
                   help="按哪一天判定公示状态，YYYY-MM-DD（默认今天）")

    i = commands.add_parser("import", help="把原始名册（Excel 或 CSV）校验、脱敏后写入 data/notices/")
    i.add_argument("roster", type=Path, help="原始名册文件（.xlsx 或 .csv），放在项目目录以外")
    i.add_argument("--program", required=True, help="项目，例如 dibao_rural（农村低保）、dibao_urban、tekun")
    i.add_argument("--division", required=True, help="村（社区）的12位区划代码；全县事项写县代码")
    i.add_argument("--kind", required=True, choices=[k.value for k in NoticeKind],
                   help="publicity 公示 / result 公布 / termination 终止公示")
    i.add_argument("--start", required=True, type=_date, help="公示开始日期；公布则为公布日期（YYYY-MM-DD）")
    i.add_argument("--document-number", required=True, help="文号，例如 东政民公〔2026〕31号")
    i.add_argument("--issuer", help="发布单位（默认：公示为乡镇，公布为县民政部门）")
    i.add_argument("--id", dest="notice_id", help="公告编号（文件名），默认按日期、区划和类型生成")
    i.add_argument("--sheet", help="工作表名称（默认第一个）")
    i.add_argument("--publicity", dest="publicity_id", help="公布所依据的公示编号")
    i.add_argument("--approved-on", type=_date, help="审批（决定）日期，公布时必填")
    i.add_argument("--effective-on", type=_date, help="终止生效日期，终止公示时必填")
    i.add_argument("--post-hoc-reason", help="事后公示的原因（急难型临时救助）")
    i.add_argument("--key-file", type=Path, help="县级密钥文件（也可设环境变量 GONGSHI_KEY_FILE）")
    i.add_argument("--data", type=Path, default=Path("data"), help="数据目录（默认 data）")
    i.add_argument("--replace", action="store_true", help="替换已存在的同名公告文件")

    k = commands.add_parser("keygen", help="生成县级密钥文件（只需一次，妥善保管）")
    k.add_argument("--out", type=Path, required=True, help="密钥文件路径，必须在项目目录以外")
    k.add_argument("--project", type=Path, default=Path("."), help="项目目录（默认当前目录）")

    a = commands.add_parser("audit", help="检查目录中的每个文件是否含有身份证号、电话等个人信息或数据文件")
    a.add_argument("path", type=Path, help="要审计的目录，例如 site；也可以是 data（检查数据目录本身）")
    a.add_argument("--data", type=Path, default=Path("data"),
                   help="从这里读取监督电话（不算泄露）和化名键（出现在网站中算泄露），默认 data")
    a.add_argument("--raw", type=Path, nargs="+", default=[], metavar="名册",
                   help="原始名册（在本机核对）：查找其中每个姓名、身份证号、电话、住址是否出现在输出中")
    a.add_argument("--format", choices=["text", "json"], default="text", help="输出格式（默认 text）")
    a.add_argument("--report", type=Path, help="把脱敏审计报告（Markdown）写到这个文件，例如 CI 的任务摘要")
    m = commands.add_parser("build-many", help="并行生成多个县的网站（每县一个网站）")
    m.add_argument("province", type=Path, help="各县数据目录所在的目录（每个子目录是一个县的 data，含 site.yaml）")
    m.add_argument("--out", type=Path, required=True, help="输出目录：每个县的网站在 输出目录/子目录名/")
    m.add_argument("--jobs", type=int, default=2, help="同时生成几个县（默认 2）")
    m.add_argument("--content", type=Path, default=Path("content"), help="政策解读等页面（默认 content）")
    m.add_argument("--templates", type=Path, default=Path("templates"), help="页面模板（默认 templates）")
    m.add_argument("--config", type=Path, default=Path("mkdocs.yml"), help="MkDocs 配置（默认 mkdocs.yml）")
    m.add_argument("--today", type=_date, default=None, help="按哪一天判定公示状态，YYYY-MM-DD（默认今天）")

    d = commands.add_parser("demo", help="生成一个虚构的合成县数据目录（用于性能测试和演示）")
    d.add_argument("--villages", type=int, default=204, help="村（社区）数（默认 204）")
    d.add_argument("--months", type=int, default=12, help="月数，截至2026年12月（默认 12）")
    d.add_argument("--seed", type=int, default=0, help="随机种子：同样的参数生成同样的数据（默认 0）")
    d.add_argument("--counties", type=int, default=1,
                   help="县数：大于 1 时生成一个合成的省，每县一个数据目录 输出目录/县代码（默认 1）")
    d.add_argument("--out", type=Path, required=True, help="输出的数据目录（不能已有公告）")
    return parser


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


WARNINGS_SHOWN_PER_KIND = 10


def _say_problems(problems) -> None:
    """Every error; warnings of one kind up to ten, then how many more (100,000 alike bury the errors)."""
    shown: dict[str, int] = {}
    for problem in problems:
        if problem.severity is Severity.WARNING:
            shown[problem.slug] = shown.get(problem.slug, 0) + 1
            if shown[problem.slug] > WARNINGS_SHOWN_PER_KIND:
                continue
        _say(problem.format())
    for slug, count in shown.items():
        if count > WARNINGS_SHOWN_PER_KIND:
            _say(f"警告 [{slug}]：另有 {count - WARNINGS_SHOWN_PER_KIND} 条同类警告未列出。")


def _say_where(data: Path) -> None:
    """Problems name files as data/…: say where that is when the data folder is not ./data."""
    if data.resolve() != (Path.cwd() / "data").resolve():
        _say(f"（以上“{data.name}/…”指的是 {data.resolve()} 中的文件。）")


def _build(args: argparse.Namespace) -> int:
    # The clock is read here, at the edge, and nowhere in the pipeline.
    today = args.today or dt.date.today()
    missing = [(option, path, what) for option, path, what in (
        ("--data", args.data, "数据目录"), ("--content", args.content, "政策解读等页面的目录"),
        ("--templates", args.templates, "页面模板目录"), ("--config", args.config, "MkDocs 配置文件")) if not path.exists()]
    for option, path, what in missing:
        _say(f"找不到{what}“{path}”。请先进入项目目录（有 mkdocs.yml 的那个目录）再运行，或用 {option} 写明位置。")
    if missing:
        return EXIT_USAGE
    from .build import Paths, build  # MkDocs and the theme: imported by the commands that build only

    paths = Paths(args.data, args.content, args.templates, args.config, args.out)
    started = time.monotonic()
    try:
        result = build(paths, today, progress=lambda stage: _say(f"… {stage}"))
    except BuildFailed as failed:
        _say_problems(failed.problems)
        _say_where(args.data)
        found = len(errors(failed.problems))
        more = len(failed.problems) - found
        _say(f"生成失败（{STAGE_NAMES.get(failed.stage, failed.stage)}）：共 {found} 个错误"
             f"{f'（另有 {more} 条警告）' if more else ''}，请逐条改正错误后重新运行。原有网站 {args.out} 没有改动。")
        return EXIT_PROBLEMS
    _say_problems(result.warnings)
    if result.warnings:
        _say_where(args.data)
    shown = sum(1 for d in result.decisions.values() if d.status.visible)
    _say(f"完成：按 {today.isoformat()} 判定，发布 {shown} 条公告、共 {result.pages} 个页面，"
         f"用时 {time.monotonic() - started:.1f} 秒。网站在 {args.out}/。")
    return EXIT_OK


def _progress(items, total: int, what: str):
    """A progress bar on the clerk's terminal for long files; nothing when output is piped."""
    if total < 2000 or not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, desc=what, unit="行", file=sys.stderr, leave=False)


def _import(args: argparse.Namespace) -> int:
    from .importer import ImportRequest, run_import  # pandas and pandera: only when importing

    request = ImportRequest(
        roster=args.roster, program=args.program, division=args.division, kind=NoticeKind(args.kind),
        start=args.start, document_number=args.document_number, data=args.data, issuer=args.issuer,
        notice_id=args.notice_id, sheet=args.sheet, publicity_id=args.publicity_id, approved_on=args.approved_on,
        effective_on=args.effective_on, post_hoc_reason=args.post_hoc_reason, key_file=args.key_file,
        replace=args.replace, today=dt.date.today())  # the clock, read here at the edge
    started = time.monotonic()
    try:
        result = run_import(request, progress=_progress)
    except BuildFailed as failed:
        _say_problems(sorted(failed.problems, key=lambda p: (p.file != "命令参数", p.file, p.line or 0)))
        count = sum(1 for p in failed.problems if p.severity is Severity.ERROR)
        _say(f"导入失败：共 {count} 个错误，请逐条改正后重新导入。没有写入任何文件。")
        return EXIT_PROBLEMS
    _say_problems(result.warnings)
    _say(f"完成：导入 {result.rows} 行（已脱敏），写入 {result.path}，用时 {time.monotonic() - started:.1f} 秒。"
         "下一步：运行 build 生成网站。")
    return EXIT_OK


def _keygen(args: argparse.Namespace) -> int:
    try:
        generate_key_file(args.out, args.project)
    except KeyProblem as problem:
        _say(str(problem))
        return EXIT_PROBLEMS
    _say(f"已生成县级密钥文件 {args.out}（仅本人可读）。请妥善备份，不要放进项目目录，也不要发给他人。"
         "导入名册时用 --key-file 指定它。")
    return EXIT_OK


def _audit_inputs(args: argparse.Namespace, data_mode: bool):
    """What the audit looks for: (the dataset where it is read whole, the published numbers, the person
    keys, the raw values), or an exit code where a raw roster cannot be read."""
    dataset, site, keys = None, None, frozenset()
    if args.data.is_dir() and (data_mode or args.report):  # rosters checked or counted: read them all
        dataset = load(args.data)[0]
        site = dataset.site
        keys = frozenset(r.person_key for n in dataset.notices for r in n.roster if r.person_key)
    elif args.data.is_dir():
        site, keys = load_for_audit(args.data)
    allowed: frozenset[str] = frozenset()
    if site is not None:
        allowed = frozenset(re.sub(r"[^0-9]", "", h.number) for h in site.hotlines)
    raw = None
    if args.raw:
        names, ids, phones, addresses = set(), set(), set(), set()
        name_headers = tuple({h for s in all_programs().values() for f in s.fields if f.type == "name" for h in f.headers})
        for path in args.raw:
            people, problems = read_identities(path, name_headers)
            if problems:
                _say_problems(problems)
                return EXIT_USAGE
            for p in people:
                names.add(p.get("name", "").replace(" ", ""))
                ids.add(re.sub(r"[\s\-]", "", p.get("id_number", "")).upper())
                phones.add(re.sub(r"[^0-9]", "", p.get("phone", "")))
                addresses.add(p.get("address", ""))
        raw = RawValues(*(frozenset(v for v in values if v) for values in (names, ids, phones, addresses)))
    return dataset, allowed, keys, raw


def _audit(args: argparse.Namespace) -> int:
    if not args.path.is_dir():
        _say(f"找不到目录 {args.path}，请检查路径。")
        return EXIT_USAGE
    data_mode = (args.path / "notices").is_dir() and (args.path / "site.yaml").exists()
    # The folder is walked in a forked process while data/ and the raw rosters are read here.
    entries, prepared = run_beside(lambda: walk(args.path), lambda: _audit_inputs(args, data_mode))
    if isinstance(prepared, int):
        return prepared
    dataset, allowed, keys, raw = prepared
    findings = audit(args.path, allowed, frozenset() if data_mode else keys, raw, data_mode, entries)
    if data_mode and dataset is not None:
        # data/ itself: rosters may hold keys, but never an unmasked name or a raw number.
        findings += [Finding(p.file, p.line, "unmasked-name" if p.slug == "name-not-masked" else "data-file",
                             p.file, note=p.message) for n in dataset.notices
                     for p in privacy_problems(n.roster, all_programs().get(n.program))]
    if args.format == "json":
        print(as_json(findings, str(args.path)))
    else:
        print(summary(findings, str(args.path)))
    if args.report:
        args.report.write_text(masking_report(findings, str(args.path), all_programs(), dataset), encoding="utf-8")
    return EXIT_PROBLEMS if failed(findings) else EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from .demo import write_demo

    if args.villages < 1 or args.months < 1:
        _say("--villages 和 --months 至少为 1。")
        return EXIT_USAGE
    from .demo import county_of

    counties = max(1, args.counties)
    for index in range(counties):
        out = args.out if counties == 1 else args.out / county_of(index)[0][:6]
        try:
            stats = write_demo(out, args.villages, args.months, args.seed, index)
        except FileExistsError:
            _say(f"{out}/notices 中已有公告文件。请换一个空目录。")
            return EXIT_USAGE
        _say(f"完成：合成县 {county_of(index)[1]} {stats.towns} 个乡镇、{stats.villages} 个村（社区），"
             f"{stats.notices} 条公告、{stats.rows} 行名单，写入 {out}/。数据全部虚构。")
    return EXIT_OK


def _build_many(args: argparse.Namespace) -> int:
    from .province import build_many, county_folders

    if not args.province.is_dir() or not county_folders(args.province):
        _say(f"{args.province} 中没有县的数据目录（每个县一个子目录，内含 site.yaml）。")
        return EXIT_USAGE
    counties = county_folders(args.province)
    started = time.monotonic()

    def report(result) -> None:
        state = "完成" if result.returncode == 0 else "失败"
        _say(f"[{result.name}] {state}，用时 {result.seconds:.1f} 秒")
        if result.returncode != 0:
            _say(result.messages)

    # The clock, read once here: a run that crosses midnight judges every county on the same day.
    results = build_many(counties, args.out, args.today or dt.date.today(), args.jobs, args.content, args.templates,
                         args.config, on_done=report)
    failed = [r.name for r in results if r.returncode != 0]
    _say(f"共 {len(results)} 个县，成功 {len(results) - len(failed)} 个"
         + (f"，失败 {len(failed)} 个（{'、'.join(failed)}），这些县原有网站没有改动" if failed else "")
         + f"，用时 {time.monotonic() - started:.1f} 秒。网站在 {args.out}/各县目录。")
    return EXIT_PROBLEMS if failed else EXIT_OK


# What each command leaves undone when the machine stops it (a build changes nothing before the swap).
_UNDONE = {"build": "网站没有更新，原有网站没有改动", "build-many": "没有完成", "import": "名单没有导入",
           "audit": "审计没有完成", "demo": "示范数据没有写完", "keygen": "密钥没有生成"}


def _machine_problem(exc: BaseException, args: argparse.Namespace) -> str | None:
    """A Chinese message for an OSError the clerk can put right (no space, no permission), else None.
    The file's name is not shown (a raw roster may be named after a person), only which of the folders
    the clerk named it is in (`_folder_of`)."""
    if not isinstance(exc, OSError):
        return None
    undone = _UNDONE.get(args.command, "没有完成")
    where = _folder_of(exc, args)
    where = f"出问题的位置在{where}。" if where else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"磁盘空间不足，{undone}。{where}请清理磁盘后重新运行"
                "（一个县的网站连同生成时的临时目录和缓存约需 2 GB 空闲空间）。")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"没有权限读写需要的文件或目录（{'磁盘是只读的' if exc.errno == errno.EROFS else '权限不够'}），"
                f"{undone}。{where}请检查这个目录的权限，或换一个有写权限的目录后重新运行。")
    return None


# The folders and files a command names (its arguments), as the clerk knows them.
_OUT = {"build": "网站输出目录", "build-many": "输出目录", "demo": "输出的数据目录", "keygen": "密钥文件"}
_FOLDERS = (("data", "数据目录"), ("content", "政策解读目录"), ("templates", "模板目录"), ("config", "配置文件"),
            ("path", "审计的目录"), ("report", "审计报告文件"), ("province", "各县数据目录"))


def _folder_of(exc: OSError, args: argparse.Namespace) -> str | None:
    """Which folder the clerk named holds the file the error is about, as the clerk wrote it: the output
    folder (with the build's staging folders and cache beside it, `.site.*`), data/, content/ … None
    for any other file (a raw roster's own name is never shown)."""
    names = [n for n in (getattr(exc, "filename", None), getattr(exc, "filename2", None)) if isinstance(n, (str, os.PathLike))]
    for name in names:
        path = Path(os.path.abspath(name))
        out = getattr(args, "out", None)
        if isinstance(out, Path) and args.command in _OUT:
            home = Path(os.path.abspath(out))
            if path == home or home in path.parents:
                return f"{_OUT[args.command]} {out}"
            beside = path.relative_to(home.parent).parts if home.parent in path.parents else ()
            if args.command == "build" and beside and beside[0].startswith(f".{home.name}."):
                return f"{_OUT[args.command]} {out} 旁边的临时目录或缓存（{home.parent}）"
        for attribute, label in _FOLDERS:
            folder = getattr(args, attribute, None)
            if isinstance(folder, Path) and folder.suffix.lower() not in (".xlsx", ".xls", ".csv"):  # a roster's name
                home = Path(os.path.abspath(folder))
                if path == home or home in path.parents:
                    return f"{label} {folder}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"build": _build, "import": _import, "keygen": _keygen, "audit": _audit, "demo": _demo, "build-many": _build_many}[args.command](args)
    except KeyboardInterrupt:
        _say("已中断。原有网站没有改动。")
        return EXIT_PROBLEMS
    except BrokenPipeError:  # `audit … | head`: the reader stopped reading; nothing went wrong here
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # or Python complains at exit
        return EXIT_PROBLEMS  # the whole result was not delivered
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("GENERATOR_DEBUG"):
            raise
        machine = _machine_problem(exc, args)
        if machine:  # a full disk or a folder it may not write: the clerk can put it right
            _say(machine)
            return EXIT_PROBLEMS
        # The exception's text may quote a value from the data, so only its type and place are shown.
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        _say(f"程序内部错误（{type(exc).__name__}，{Path(frame.filename).name} 第{frame.lineno}行）。"
             f"原有网站没有改动。请把这行信息报告给维护人员；设置 GENERATOR_DEBUG=1 可查看详细信息。")
        return EXIT_INTERNAL
