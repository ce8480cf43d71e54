"""A synthetic, anonymized county for benchmarks and tests: `python -m generator demo`.

Everything is made up and looks it: region code 99 does not exist, villages are named from
syllable tables, names are masked already (张*), person keys are SHA-256 of a counter (not of any
ID number). The output is a pure function of the arguments (a seeded random.Random), so a bench
run and a test see the same county.

Rosters are generated from the program specs by field type (name, int, money, choice, text), so a
program added in generator/programs/ is covered by default; PLANS only says how often a program
posts and how long its rosters are. Every notice follows the publicity rules (generator/publicity.py):
a 公布 lists people of a completed 公示 of the same program and village, approved after its period
ended; a 终止公示 takes effect after its period; 事后公示 rows are 急难型; 双公示 are published
within their working-day deadline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml

from .programs import FieldSpec, ProgramSpec, all_programs
from .publicity import publicity_period
from .workdays import WorkCalendar

COUNTY_CODE = "990100000000"  # region 99 does not exist
COUNTY_NAME = "示范县"
_COUNTY_NUMBERS = "一二三四五六七八九"
LAST_MONTH = dt.date(2026, 12, 1)  # chinesecalendar covers 2026; the demo's months end here
VILLAGES_PER_TOWN = 12

# How often a village-level program posts (share of village-months) and roster sizes (min, max).
# `communities`: None = every division; True = 社区 only; False = 村 only.
@dataclass(frozen=True)
class Plan:
    share: float
    rows: tuple[int, int]
    communities: bool | None = None
    termination_share: float = 0.0  # 终止公示, where the program has them
    post_hoc_share: float = 0.0  # 事后公示, where the program allows them


# Calibrated so that 204 villages x 12 months with every program is about 15,000 notices and 150,000
# roster rows, the county-year of issue 8 (the county report: ~58,000 rural 低保 person-months, 4,700
# 临时救助 cases, 1,659 new 两项补贴, quarterly 高龄补贴 of ~1,200, 21 centenarians a year).
PLANS: dict[str, Plan] = {
    "dibao_urban": Plan(1.0, (8, 30), communities=True),
    "dibao_rural": Plan(1.0, (8, 30), communities=False),
    "disability_subsidies": Plan(0.5, (5, 15)),
    "temporary_aid": Plan(0.45, (2, 8), post_hoc_share=0.25),
    "tekun": Plan(0.4, (2, 6), termination_share=0.2),
    "old_age_allowance": Plan(0.15, (3, 10)),
    "centenarian_allowance": Plan(0.02, (1, 1)),
    "elderly_care_subsidy": Plan(0.08, (2, 6)),
}
DEFAULT_PLAN = Plan(0.25, (3, 10))  # a program added since: covered, at a modest rate
COUNTY_DECISIONS_PER_MONTH = 6
RESULT_ONLY_SHARE = 0.05  # village programs published after approval without a 公示 (殡葬救助), per village-month
_INCOME = ("上级转移支付（村级组织运转经费）", "村集体鱼塘承包收入", "村级光伏电站发电收益", "集体山林承包收入", "厂房租金收入")
_EXPENSE = ("村干部报酬（合计）", "村部水电费", "村道保洁服务费", "办公用品", "文化广场维修材料", "防汛物资")
_PROJECTS = ("村道硬化", "安装太阳能路灯", "山塘清淤", "修建生产便道", "村部维修", "饮水管网改造")
_ARTICLES = ("爱党爱国，遵纪守法。", "移风易俗，红白喜事从简办理。", "爱护公共设施，保护生态环境。",
             "尊老爱幼，邻里和睦。", "按时参加村民会议，共同议定村中大事。")  # 双公示 and other county-level programs

SURNAMES = ("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 "
            "袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 "
            "熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤 欧阳 司马 上官").split()
_PLACE_FIRST = "东西南北上下前后大小新老青白红黄金石桃杏柳松竹梅兰荷枫槐杨柏李枣".replace("", " ").split()
_PLACE_SECOND = "山水河湖桥林溪岭田坪塘坡冲湾洲岗庄源口坝园垅塅峰泉".replace("", " ").split()
_TOWN_FIRST = "东西南北中上下高长永太安平兴和福".replace("", " ").split()
_TOWN_SECOND = "湖山岭江桥坪田市阳沙塘溪".replace("", " ").split()
_GROUPS = "一 二 三 四 五 六 七 八 九 十".split()
_ORG_KINDS = ("养老服务中心", "社会工作服务站", "慈善协会", "老年人协会", "志愿者协会", "殡葬服务站")
_MATTERS = {"行政许可": ("养老机构备案", "社会团体成立登记", "民办非企业单位变更登记"),
            "行政处罚": ("未按规定年检", "超出章程规定的宗旨和业务范围开展活动", "未按规定报送年度工作报告")}

# Monthly (or per-case) amounts by policy program, as POLICY states them: rosters pay the full standard.
STANDARDS = {"dibao_urban": 570, "dibao_rural": 335, "disability_subsidies": 65, "temporary_aid_township_cap": 2000,
             "old_age_allowance_80": 50, "old_age_allowance_90": 100, "centenarian_allowance": 350,
             "elderly_care_subsidy": 100, "funeral_aid": 1500}
POLICY = """\
# Synthetic county: the standards of the demo county (data/policy/2021.yaml), as a county would adopt them.
standards:
  - {program: dibao_urban, amount: 570, unit: 元/人·月, effective_from: 2020-11-01, source: 合成数据：城市低保标准570元/人·月}
  - {program: dibao_rural, amount: 4020, unit: 元/人·年, effective_from: 2020-01-01, source: 合成数据：农村低保标准4020元/人·年}
  - {program: disability_subsidies, amount: 65, unit: 元/人·月, effective_from: 2020-01-01, source: 合成数据：两项补贴65元/人·月}
  - {program: temporary_aid_township_cap, amount: 2000, unit: 元/人·次, effective_from: 2020-04-01, source: 合成数据：乡镇审批临时救助每人每次不超过2000元}
  - {program: old_age_allowance_80, amount: 50, unit: 元/人·月, effective_from: 2020-01-01, source: 合成数据：80—89周岁50元/人·月}
  - {program: old_age_allowance_90, amount: 100, unit: 元/人·月, effective_from: 2020-01-01, source: 合成数据：90—99周岁100元/人·月}
  - {program: centenarian_allowance, amount: 350, unit: 元/人·月, effective_from: 2020-01-01, source: 合成数据：百岁老人350元/人·月}
  - {program: elderly_care_subsidy, amount: 100, unit: 元/人·月, effective_from: 2020-01-01, source: 合成数据：养老服务补贴100元/人·月}
  - {program: funeral_aid, amount: 1500, unit: 元/人·次, effective_from: 2020-01-01, source: 合成数据：殡葬救助每项每人不超过1500元}
"""


@dataclass(frozen=True)
class DemoStats:
    towns: int
    villages: int
    notices: int
    rows: int
    pending: list[str]  # 公示 whose 公布 is not written yet: `approval_text` makes one ("one new approval")


def _names(first: list[str], second: list[str], suffixes: tuple[str, ...], count: int, offset: int = 0) -> list[str]:
    """`count` distinct place names, deterministic: 桃源村, 柳溪村 …"""
    out, seen = [], set()
    i = offset
    while len(out) < count:
        a, b = first[i % len(first)], second[(i // len(first) + i) % len(second)]
        suffix = suffixes[(i // (len(first) * len(second))) % len(suffixes)]
        name = a + b + suffix
        if name not in seen:
            seen.add(name)
            out.append(name)
        i += 1
    return out


def county_of(index: int) -> tuple[str, str]:
    """The code and name of a synthetic province's county `index` (0: 示范县, 990100)."""
    if index == 0:
        return COUNTY_CODE, COUNTY_NAME
    number = "".join(_COUNTY_NUMBERS[int(d) - 1] if d != "0" else "零" for d in str(index))
    return f"99{index + 1:02d}00000000", f"示范{number}县"


def _divisions(villages: int, county: int = 0) -> dict:
    county_code, county_name = county_of(county)
    towns = []
    town_count = max(1, -(-villages // VILLAGES_PER_TOWN))
    town_names = _names(_TOWN_FIRST, _TOWN_SECOND, ("镇", "乡", "街道"), town_count)
    village_names = _names(_PLACE_FIRST, _PLACE_SECOND, ("村",), villages)
    made = 0
    for t in range(town_count):
        code = f"{county_code[:6]}{101 + t:03d}000"
        name = town_names[t]
        issuer = f"{county_name}{name}{'办事处' if name.endswith('街道') else '人民政府'}"
        vs = []
        for v in range(min(VILLAGES_PER_TOWN, villages - made)):
            community = v == 0  # the town seat is a 社区, the rest are 村
            vname = village_names[made][:-1] + ("社区" if community else "村")
            vcode = code[:9] + (f"{1 + v:03d}" if community else f"{200 + v:03d}")
            vs.append({"code": vcode, "name": vname})
            made += 1
        towns.append({"code": code, "name": name, "issuer": issuer, "villages": vs})
    return {"county": county_name, "county_code": county_code, "towns": towns}


def site_of(county: int) -> dict:
    code, name = county_of(county)
    return {
        "title": f"{name}社会救助公示公开（合成数据）",
        "county": name,
        "issuer": f"{name}民政局",
        "base_url": f"https://gongshi.example.org/{code[:6]}/" if county else "https://gongshi.example.org/",
        "address": f"{name}人民路1号 {name}民政局社会救助股（虚构地址）",
        "hotlines": [{"label": f"{name}民政局社会救助监督电话", "number": "0000-1234567"}],
    }


class _County:
    """Draws one county's notices; every random choice goes through `self.rng`, in a fixed order."""

    def __init__(self, villages: int, months: int, seed: int, county: int = 0):
        self.rng = random.Random(f"gongshi-demo:{villages}:{months}:{seed}:{county}")
        self.code, self.name = county_of(county)
        self.county = county
        self.divisions = _divisions(villages, county)
        self.months = [_add_months(LAST_MONTH, -k) for k in range(months - 1, -1, -1)]
        self.calendar = WorkCalendar()
        self.programs = all_programs()
        self.person_serial = 0
        self.notices: dict[str, dict] = {}
        self.pending: list[str] = []
        self.balances: dict[str, Decimal] = {}  # each village's finance balance, carried month to month

    # -- values by field type -------------------------------------------------------------------
    def person_key(self) -> str:
        self.person_serial += 1
        return hashlib.sha256(f"synthetic-person:{self.county}:{self.person_serial}".encode()).hexdigest()

    def value(self, f: FieldSpec, spec: ProgramSpec, row: dict, serial: int):
        rng = self.rng
        if f.type == "name":
            return rng.choice(SURNAMES) + "*" * rng.choice((1, 2, 2))
        if f.type == "int":
            if f.min is not None and f.min >= 1000:  # a year (年检年度)
                return LAST_MONTH.year - 1
            low = f.min or 1
            return rng.randint(low, min(f.max or 5, low + 5))
        if f.type == "count":
            return rng.choice((0, 0, 0, 1, 2, 3, 4, 5, 6))
        if f.type == "choice":
            if f.name == "party_type":
                return f.choices[1] if rng.random() < 0.2 else f.choices[0]
            return rng.choice(f.choices)
        if f.type == "money":
            return float(self.amount(spec, row))
        return self.text(f, row, serial)

    def amount(self, spec: ProgramSpec, row: dict) -> Decimal:
        rule = spec.amount_rule
        if rule is None:
            return Decimal(self.rng.randrange(300, 5001, 50))
        standard = Decimal(STANDARDS.get(rule.standard_for(row) or "", 100))
        size = 1 if rule.per_person else int(row.get("household_size", 1))
        ceiling = standard * size
        return ceiling if rule.per_person else (ceiling * Decimal(self.rng.randint(40, 100)) / 100).quantize(Decimal(1))

    def text(self, f: FieldSpec, row: dict, serial: int) -> str:
        if f.name == "group":
            return _GROUPS[self.rng.randrange(len(_GROUPS))] + "组"
        if f.name == "party" and row.get("party_type") == "自然人":
            return self.rng.choice(SURNAMES) + "**"  # a natural person: masked like any name
        if f.name == "party":
            return self.rng.choice(_PLACE_FIRST) + self.rng.choice(_PLACE_SECOND) + self.rng.choice(_ORG_KINDS)
        if f.name == "matter":
            return self.rng.choice(_MATTERS.get(str(row.get("decision_type")), ("年度检查",)))
        if f.name == "decision_number":
            return f"示民{'罚' if row.get('decision_type') == '行政处罚' else '许'}〔2026〕{serial}号"
        return f"{f.label}（示例）"

    def roster(self, spec: ProgramSpec, size: int, fixed: dict | None = None) -> list[dict]:
        rows = []
        for i in range(size):
            row: dict = {"person_key": self.person_key()} if spec.keyed else {}
            for f in spec.fields:
                if fixed and f.name in fixed:
                    row[f.name] = fixed[f.name]
                elif f.default is not None and f.type == "choice":
                    row[f.name] = f.default
                else:
                    row[f.name] = self.value(f, spec, row, len(self.notices) + i + 1)
            rows.append(row)
        return rows

    # -- notices --------------------------------------------------------------------------------
    def add(self, notice_id: str, body: dict) -> None:
        assert notice_id not in self.notices, notice_id
        self.notices[notice_id] = body

    def village_month(self, month: dt.date, town: dict, village: dict, index: int, last: bool) -> None:
        community = village["name"].endswith("社区")
        for code, spec in self.programs.items():
            if spec.level == "village" and spec.catalog is None and not spec.never_posted \
                    and spec.kinds == ("result",) and (self.rng.random() < RESULT_ONLY_SHARE or (index == 0 and not last)):
                self.result_only(spec, month, village)  # 殡葬救助: published after approval, no 公示
            if spec.level != "village" or spec.never_posted or "publicity" not in spec.kinds:
                continue
            plan = PLANS.get(code, DEFAULT_PLAN)
            if plan.communities is not None and plan.communities != community:
                continue
            # Every program appears at least once: the first village posts each in the first month.
            if self.rng.random() < plan.share or (index == 0 and month == self.months[0]):
                self.publicity_and_result(spec, plan, month, town, village, index, last)
            if plan.termination_share and "termination" in spec.kinds and self.rng.random() < plan.termination_share:
                self.termination(spec, month, town, village)
            if plan.post_hoc_share and spec.post_hoc and self.rng.random() < plan.post_hoc_share:
                self.post_hoc(spec, month, village)

    def _id(self, day: dt.date, village: dict, spec: ProgramSpec, kind: str) -> str:
        return f"{day:%Y-%m}-{village['code'][6:]}-{spec.code.replace('_', '')[:10]}-{kind}"

    def publicity_and_result(self, spec: ProgramSpec, plan: Plan, month: dt.date, town: dict, village: dict,
                             index: int, last: bool) -> None:
        start = month.replace(day=self.rng.randint(1, 12))
        gs_id = self._id(start, village, spec, "gs")
        rows = self.roster(spec, self.rng.randint(*plan.rows))
        body = {"program": spec.code, "kind": "publicity", "division": village["code"], "issuer": town["issuer"],
                "document_number": f"{town['name'][:2]}政民公〔{start.year}〕{len(self.notices) + 1}号",
                "publicity_start": start, "roster": rows}
        # A villager objected; dismissed after checking. (Where any objection means a new 公示, 特困,
        # the person is left out of the 公布: only on rosters of two or more, so one is still published.)
        if self.rng.random() < 0.05 and not (spec.renotice_any and len(rows) < 2):
            body["objections"] = [{"row": 1, "raised_on": start + dt.timedelta(days=1),
                                   "resolved_on": start + dt.timedelta(days=3), "outcome": "dismissed"}]
        self.add(gs_id, body)
        if last and index % 25 == 0:
            self.pending.append(gs_id)  # its approval comes later: the "one new approval" of the bench
            return
        self.add(gs_id[:-2] + "gb", self.result_for(gs_id))

    def result_for(self, gs_id: str) -> dict:
        """The 公布 of a 公示: everyone on it, approved after its period ended (publicity.py rules)."""
        gs = self.notices[gs_id]
        spec = self.programs[gs["program"]]
        period = publicity_period(gs["publicity_start"], spec.publicity, self.calendar)
        approved = period.first_free_day + dt.timedelta(days=self.rng.randint(0, 3))
        return {"program": gs["program"], "kind": "result", "division": gs["division"],
                "issuer": f"{self.name}民政局",
                "document_number": f"示民发〔{approved.year}〕{len(self.notices) + 1}号",
                "publicity": gs_id, "approved_on": approved,
                "published_on": approved + dt.timedelta(days=self.rng.randint(0, 3)),
                "roster": _approvable(gs["roster"], [o["row"] for o in gs.get("objections", ())], spec)}

    def termination(self, spec: ProgramSpec, month: dt.date, town: dict, village: dict) -> None:
        start = month.replace(day=self.rng.randint(13, 20))
        period = publicity_period(start, spec.publicity, self.calendar)
        fixed = {"change": "终止"} if "change" in spec.field_names else None
        self.add(self._id(start, village, spec, "zz"), {
            "program": spec.code, "kind": "termination", "division": village["code"], "issuer": town["issuer"],
            "document_number": f"{town['name'][:2]}政民终〔{start.year}〕{len(self.notices) + 1}号",
            "publicity_start": start, "effective_on": period.first_free_day,
            "roster": self.roster(spec, self.rng.randint(1, 3), fixed)})

    def post_hoc(self, spec: ProgramSpec, month: dt.date, village: dict) -> None:
        approved = month.replace(day=self.rng.randint(13, 24))
        rule = spec.post_hoc
        self.add(self._id(approved, village, spec, "sh"), {
            "program": spec.code, "kind": "result", "division": village["code"], "issuer": f"{self.name}民政局",
            "document_number": f"示民救〔{approved.year}〕{len(self.notices) + 1}号",
            "post_hoc_reason": rule.reasons[self.rng.randrange(len(rule.reasons))], "approved_on": approved,
            "published_on": approved + dt.timedelta(days=2),
            "roster": self.roster(spec, self.rng.randint(1, 3), {rule.field: rule.value})})

    def result_only(self, spec: ProgramSpec, month: dt.date, village: dict) -> None:
        approved = month.replace(day=self.rng.randint(2, 20))
        self.add(self._id(approved, village, spec, "gb"), {
            "program": spec.code, "kind": "result", "division": village["code"], "issuer": f"{self.name}民政局",
            "document_number": f"示民发〔{approved.year}〕{len(self.notices) + 1}号", "approved_on": approved,
            "published_on": approved + dt.timedelta(days=2), "roster": self.roster(spec, self.rng.randint(1, 2))})

    # -- 村(居)务公开: records, not people ---------------------------------------------------------
    def village_affairs(self, month: dt.date, town: dict, village: dict, index: int, first: bool) -> None:
        """Every kind of record appears at least once: the first village publishes each in the first month."""
        always = first and index == 0
        committee = village["name"] + ("居民委员会" if village["name"].endswith("社区") else "民委员会")
        issuer = f"{self.name}{town['name']}{committee}"
        base = {"kind": "result", "division": village["code"], "issuer": issuer}
        rng = self.rng
        if index % 3 == 0:  # a third of the villages have 集体财务往来较多: a statement every month
            published = month.replace(day=rng.randint(5, 10))
            period = _add_months(month, -1)
            opening = self.balances.get(village["code"], Decimal(rng.randrange(5000, 80000)))
            income = [(rng.choice(_INCOME), Decimal(rng.randrange(500, 30000))) for _ in range(rng.randint(1, 3))]
            expense = [(rng.choice(_EXPENSE), Decimal(rng.randrange(100, 9000))) for _ in range(rng.randint(2, 5))]
            closing = opening + sum(a for _, a in income) - sum(a for _, a in expense)
            if closing < 0:  # never a negative balance: the village spends what it has
                expense = expense[:1]
                expense[0] = (expense[0][0], min(expense[0][1], opening + sum(a for _, a in income)))
                closing = opening + sum(a for _, a in income) - expense[0][1]
            self.balances[village["code"]] = closing
            self.add(self._id(published, village, self.programs["village_affairs_finance"], "cw"), {
                "program": "village_affairs_finance", **base, "approved_on": published - dt.timedelta(days=2),
                "published_on": published,
                "summary": {"period": f"{period:%Y-%m}", "opening_balance": float(opening),
                            "income_total": float(sum(a for _, a in income)),
                            "expense_total": float(sum(a for _, a in expense)), "closing_balance": float(closing)},
                "roster": [{"direction": "收入", "item": i, "amount": float(a)} for i, a in income]
                + [{"direction": "支出", "item": i, "amount": float(a)} for i, a in expense]})
        if rng.random() < 0.1 or always:
            published = month.replace(day=rng.randint(11, 20))
            rows = []
            for _ in range(rng.randint(1, 3)):
                budget = Decimal(rng.randrange(20000, 400000, 1000))
                progress = rng.choice(("未开工", "在建", "已完工", "已验收"))
                row = {"project": rng.choice(_PROJECTS), "budget": float(budget)}
                if progress != "未开工":
                    row |= {"contract_amount": float(budget * Decimal(rng.randint(85, 100)) / 100),
                            "contractor": rng.choice(_PLACE_FIRST) + rng.choice(_PLACE_SECOND) + "建筑工程有限公司（虚构）"}
                rows.append(row | {"progress": progress})
            self.add(self._id(published, village, self.programs["village_affairs_projects"], "xm"), {
                "program": "village_affairs_projects", **base, "approved_on": published - dt.timedelta(days=1),
                "published_on": published, "roster": rows})
        if rng.random() < 0.03 or always:
            published = month.replace(day=rng.randint(21, 26))
            entitled = rng.randint(30, 300)
            present = rng.randint(-(-entitled * 2 // 3), entitled)
            self.add(self._id(published, village, self.programs["village_affairs_one_matter"], "yy"), {
                "program": "village_affairs_one_matter", **base, "approved_on": published - dt.timedelta(days=1),
                "published_on": published,
                "roster": [{"matter": rng.choice(_PROJECTS), "meeting_type": "村民代表会议" if entitled < 60 else "村民会议（户代表）",
                            "meeting_date": published - dt.timedelta(days=10), "entitled": entitled, "present": present,
                            "agreed": rng.randint(present // 2 + 1, present), "funding": "每户筹劳2个工日，其余申请财政奖补"}]})
        if first and (rng.random() < 0.1 or always):
            published = month.replace(day=27)
            self.add(self._id(published, village, self.programs["village_affairs_rules"], "gy"), {
                "program": "village_affairs_rules", **base, "approved_on": published - dt.timedelta(days=7),
                "published_on": published, "summary": {"filed_on": published - dt.timedelta(days=2)},
                "roster": [{"article": a} for a in _ARTICLES]})

    def county_month(self, month: dt.date) -> None:
        for code, spec in self.programs.items():
            if spec.level != "county" or spec.never_posted or "result" not in spec.kinds:
                continue
            if spec.aggregate is not None:  # 孤儿基本生活费: counts per village, once a quarter
                if month.month % 3 == 0:
                    self.aggregate(spec, month)
                continue
            if spec.code == "social_org_inspection":  # 年检结论: once a year
                if month.month == 7:
                    self.add(f"{month:%Y-%m}-county-{code.replace('_', '')[:10]}", {
                        "program": code, "kind": "result", "division": self.code, "issuer": f"{self.name}民政局",
                        "document_number": f"示民公开〔{month.year}〕{len(self.notices) + 1}号",
                        "approved_on": month.replace(day=10), "published_on": month.replace(day=15),
                        "roster": [{"org_name": self.rng.choice(_PLACE_FIRST) + self.rng.choice(_PLACE_SECOND)
                                    + f"{self.rng.choice(_ORG_KINDS)}{k + 1}号（虚构）", **{
                                        f.name: self.value(f, spec, {}, k) for f in spec.fields if f.name != "org_name"}}
                                   for k in range(12)]})
                continue
            for k in range(COUNTY_DECISIONS_PER_MONTH):
                decided = month.replace(day=2 + 3 * k)
                days = spec.deadline.working_days if spec.deadline else 7
                published = self.calendar.add_workdays(decided, self.rng.randint(1, days))
                self.add(f"{decided:%Y-%m}-county-{code.replace('_', '')[:10]}-{k + 1:02d}", {
                    "program": code, "kind": "result", "division": self.code, "issuer": f"{self.name}民政局",
                    "document_number": f"示民决〔{decided.year}〕{len(self.notices) + 1}号",
                    "approved_on": decided, "published_on": published,
                    "roster": self.roster(spec, self.rng.randint(1, 3))})

    def aggregate(self, spec: ProgramSpec, month: dt.date) -> None:
        villages = [v["code"] for t in self.divisions["towns"] for v in t["villages"]]
        counts = [f.name for f in spec.fields if f.type == "count"]
        place = next(f.name for f in spec.fields if f.type == "village")
        self.add(f"{month:%Y-%m}-county-{spec.code.replace('_', '')[:10]}", {
            "program": spec.code, "kind": "result", "division": self.code, "issuer": f"{self.name}民政局",
            "document_number": f"示民公开〔{month.year}〕{len(self.notices) + 1}号",
            "approved_on": month.replace(day=5), "published_on": month.replace(day=8),
            "roster": [{place: code, **{c: self.rng.choice((0, 0, 0, 0, 1, 1, 2, 3, 4)) for c in counts}}
                       for code in villages]})

    def draw(self) -> None:
        for m, month in enumerate(self.months):
            last = m == len(self.months) - 1
            index = 0
            for town in self.divisions["towns"]:
                for village in town["villages"]:
                    self.village_month(month, town, village, index, last)
                    self.village_affairs(month, town, village, index, m == 0)
                    index += 1
            self.county_month(month)


def _add_months(day: dt.date, k: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + k, 12)
    return dt.date(y, m + 1, 1)


def _scalar(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def notice_text(body: dict) -> str:
    """The notice file as `import` writes it: header lines, then one roster row per line."""
    lines = ["# Synthetic data (python -m generator demo): made up, anonymized."]
    for key, value in body.items():
        if key == "roster":
            continue
        if key == "summary":
            lines.append("summary:")
            lines += [f"  {k}: {_scalar(v)}" for k, v in value.items()]
            continue
        if key == "objections":
            lines.append("objections:")
            for o in value:
                lines.append("- {" + ", ".join(f"{k}: {_scalar(v)}" for k, v in o.items()) + "}")
            continue
        lines.append(f"{key}: {_scalar(value)}")
    lines.append("roster:")
    lines += ["- {" + ", ".join(f"{k}: {_scalar(v)}" for k, v in row.items()) + "}" for row in body["roster"]]
    return "\n".join(lines) + "\n"


def write_demo(out: Path, villages: int, months: int, seed: int = 0, county_index: int = 0) -> DemoStats:
    """Write data/ of a synthetic county into `out` (created; must not hold notices already).
    `county_index` > 0: another county of a synthetic province (its own codes, names and people)."""
    if villages < 1 or months < 1:
        raise ValueError("villages and months must be at least 1")
    county = _County(villages, months, seed, county_index)
    county.draw()
    notices_dir = out / "notices"
    if notices_dir.exists() and any(notices_dir.iterdir()):
        raise FileExistsError(str(notices_dir))
    notices_dir.mkdir(parents=True, exist_ok=True)
    (out / "policy").mkdir(exist_ok=True)
    dump = dict(allow_unicode=True, sort_keys=False, width=200)
    (out / "site.yaml").write_text("# Synthetic county (python -m generator demo): fictional throughout.\n"
                                   + yaml.safe_dump(site_of(county_index), **dump), encoding="utf-8")
    (out / "divisions.yaml").write_text("# Synthetic divisions: region 99 does not exist.\n"
                                        + yaml.safe_dump(county.divisions, **dump), encoding="utf-8")
    (out / "policy" / "2021.yaml").write_text(POLICY, encoding="utf-8")
    rows = 0
    for notice_id, body in county.notices.items():
        (notices_dir / f"{notice_id}.yaml").write_text(notice_text(body), encoding="utf-8")
        rows += len(body["roster"])
    return DemoStats(len(county.divisions["towns"]), villages, len(county.notices), rows, county.pending)


def approval_text(data: Path, publicity_id: str, seed: int = 0) -> tuple[str, str]:
    """The 公布 (id, file text) approving a pending 公示 of a synthetic county: "one new approval"."""
    from .load import load

    dataset, _ = load(data)
    gs = next(n for n in dataset.notices if n.id == publicity_id)
    spec = all_programs()[gs.program]
    period = publicity_period(gs.start, spec.publicity, WorkCalendar())
    approved = period.first_free_day + dt.timedelta(days=seed % 3)
    body = {"program": gs.program, "kind": "result", "division": gs.division_code, "issuer": dataset.site.issuer,
            "document_number": f"示民发〔{approved.year}〕{9000 + seed}号", "publicity": gs.id,
            "approved_on": approved, "published_on": approved + dt.timedelta(days=1),
            "roster": _approvable([{"person_key": r.person_key, **r.fields} for r in gs.roster],
                                  [o.row for o in gs.objections], spec)}
    return publicity_id[:-2] + "gb", notice_text(body)


def _approvable(roster: list[dict], objected_rows: list[int], spec: ProgramSpec) -> list[dict]:
    """The rows of a 公示 its 公布 may list: all, but where any objection means a new 公示 (特困,
    ProgramSpec.renotice_any) not the person objected to, who waits for that new 公示."""
    if not spec.renotice_any:
        return roster
    return [row for number, row in enumerate(roster, 1) if number not in objected_rows]
