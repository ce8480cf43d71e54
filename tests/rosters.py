"""Synthetic raw rosters as a clerk's Excel or CSV would hold them. All persons are fake:
names start with 测试, ID numbers use the non-existent region 990100, phones are 1380000xxxx."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from conftest import fake_id

GIVEN = "甲乙丙丁戊己庚辛壬癸"


@dataclass
class Person:
    name: str
    id_number: str | float
    phone: str
    address: str
    group: str
    size: int | float | str
    cls: str
    amount: float | str


def people(n: int, start: int = 0) -> list[Person]:
    out = []
    for i in range(start, start + n):
        birth = (dt.date(1940, 1, 1) + dt.timedelta(days=i // 1000)).strftime("%Y%m%d")  # unique with i % 1000
        out.append(Person(name=f"测试{GIVEN[i % 10]}{GIVEN[(i // 10) % 10]}", id_number=fake_id(i, birth),
                          phone=f"1380000{i:04d}", address=f"示范县虚构路{i + 1}号", group=f"{i % 6 + 1}组",
                          size=2, cls="B类", amount=520.0))
    return out


TITLE = "示范县东湖镇桃源村2026年12月农村低保审核意见公示名册（测试数据）"
UPPER = ["序号", "组", "户主信息", None, "联系电话", "家庭住址", "家庭人口", "保障类别", "月保障金（元）", "备注"]
LOWER = [None, None, "姓名", "身份证号码", None, None, None, None, None, None]


def row_of(i: int, p: Person) -> list:
    return [i, p.group, p.name, p.id_number, p.phone, p.address, p.size, p.cls, p.amount, "测试备注"]


def write_workbook(path: Path, persons: list[Person], sheet: str = "名册") -> Path:
    """Title row, a merged two-row header, a blank row mid-table, a totals row and a signature footer."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([TITLE])
    ws.append(UPPER)
    ws.append(LOWER)
    ws.merge_cells("C2:D2")
    for col in ("A", "B", "E", "F", "G", "H", "I", "J"):
        ws.merge_cells(f"{col}2:{col}3")
    for i, p in enumerate(persons, 1):
        ws.append(row_of(i, p))
        if i == 2:
            ws.append([])
    ws.append(["合计", None, None, None, None, None, sum(int(p.size) for p in persons if isinstance(p.size, int)), None,
               None, None])
    ws.append(["制表人：测试员", None, None, None, "联系电话：13800009999"])
    for cell in ws["D"]:
        if isinstance(cell.value, str):
            cell.number_format = "@"
    wb.save(path)
    return path


def write_csv(path: Path, persons: list[Person], encoding: str) -> Path:
    """A one-row-header CSV export with a title row and a totals row."""
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow([TITLE])
        w.writerow(["序号", "组", "户主姓名", "身份证号", "手机号", "住址", "家庭人口", "类别", "保障金额", "备注"])
        for i, p in enumerate(persons, 1):
            w.writerow(row_of(i, p))
        w.writerow(["合计", "", "", "", "", "", "", "", "", ""])
    return path
