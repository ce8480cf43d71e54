"""`python -m generator <command>`: Chinese messages, an exit code, never a traceback for bad input."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import traceback
from pathlib import Path

from .audit import audit, summary
from .build import Paths, build
from .load import load
from .report import BuildFailed

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

STAGE_NAMES = {
    "load": "读取数据",
    "validate": "校验数据和公示规则",
    "render": "生成页面",
    "site": "生成网站",
    "audit": "个人信息审计",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own messages are English; say it in Chinese too
        self.print_usage(sys.stderr)
        print(f"命令参数有误：{message}。用 --help 查看用法。", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
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

    a = commands.add_parser("audit", help="检查目录中的每个文件是否含有身份证号、手机号或数据文件")
    a.add_argument("path", type=Path, help="要审计的目录，例如 site")
    a.add_argument("--data", type=Path, default=Path("data"),
                   help="从这里读取监督电话（不算泄露）和化名键（算泄露），默认 data")
    return parser


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _build(args: argparse.Namespace) -> int:
    # The clock is read here, at the edge, and nowhere in the pipeline.
    today = args.today or dt.date.today()
    paths = Paths(args.data, args.content, args.templates, args.config, args.out)
    started = time.monotonic()
    try:
        result = build(paths, today, progress=lambda stage: _say(f"… {stage}"))
    except BuildFailed as failed:
        for problem in failed.problems:
            _say(problem.format())
        _say(f"生成失败（{STAGE_NAMES.get(failed.stage, failed.stage)}）：共 {len(failed.problems)} 个问题，"
             f"请逐条改正后重新运行。原有网站 {args.out} 没有改动。")
        return EXIT_PROBLEMS
    for warning in result.warnings:
        _say(warning.format())
    shown = sum(1 for d in result.decisions.values() if d.status.visible)
    _say(f"完成：按 {today.isoformat()} 判定，发布 {shown} 条公告、共 {result.pages} 个页面，"
         f"用时 {time.monotonic() - started:.1f} 秒。网站在 {args.out}/。")
    return EXIT_OK


def _audit(args: argparse.Namespace) -> int:
    if not args.path.is_dir():
        _say(f"找不到目录 {args.path}，请检查路径。")
        return EXIT_USAGE
    allowed: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()
    if args.data.is_dir():
        dataset, _ = load(args.data)
        if dataset is not None:
            allowed = frozenset(h.number.replace("-", "") for h in dataset.site.hotlines)
            keys = frozenset(r.person_key for n in dataset.notices for r in n.roster if r.person_key)
    findings = audit(args.path, allowed, keys)
    print(summary(findings, str(args.path)))
    return EXIT_PROBLEMS if findings else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"build": _build, "audit": _audit}[args.command](args)
    except KeyboardInterrupt:
        _say("已中断。原有网站没有改动。")
        return EXIT_PROBLEMS
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("GENERATOR_DEBUG"):
            raise
        # The exception's text may quote a value from the data, so only its type and place are shown.
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        _say(f"程序内部错误（{type(exc).__name__}，{Path(frame.filename).name} 第{frame.lineno}行）。"
             f"原有网站没有改动。请把这行信息报告给维护人员；设置 GENERATOR_DEBUG=1 可查看详细信息。")
        return EXIT_INTERNAL
