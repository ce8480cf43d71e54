"""The simple 7-day rule, walked day by day at its boundary."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.model import Notice, NoticeKind, Provenance, PublicityStatus, RosterRow
from generator.programs import all_programs
from generator.publicity import decide

PROGRAMS = all_programs()
POSTED = dt.date(2026, 11, 25)  # a Wednesday, no holiday within reach
KEY_A, KEY_B = "a" * 64, "b" * 64


def row(key: str, name: str = "张*") -> RosterRow:
    return RosterRow(key, {"name": name}, Provenance("data/notices/x.yaml", 10))


def publicity(start=POSTED, keys=(KEY_A,)) -> Notice:
    return Notice("gs", "dibao_rural", NoticeKind.PUBLICITY, "990100101201", "镇政府", "文号", start, None, None,
                  tuple(row(k) for k in keys), Provenance("data/notices/gs.yaml", 1))


def result(approved, published=None, keys=(KEY_A,)) -> Notice:
    return Notice("gb", "dibao_rural", NoticeKind.RESULT, "990100101201", "县民政局", "文号", published or approved, "gs",
                  approved, tuple(row(k) for k in keys), Provenance("data/notices/gb.yaml", 1))


@pytest.mark.parametrize(
    ("days_after_posting", "status"),
    [(-1, PublicityStatus.SCHEDULED), (0, PublicityStatus.IN_PUBLICITY), (6, PublicityStatus.IN_PUBLICITY),
     (7, PublicityStatus.IN_PUBLICITY), (8, PublicityStatus.ENDED)],
)
def test_publicity_status_by_day(days_after_posting, status):
    today = POSTED + dt.timedelta(days=days_after_posting)
    decisions, problems = decide([publicity()], PROGRAMS, today)
    assert decisions["gs"].status is status
    assert decisions["gs"].period.last_day == dt.date(2026, 12, 2)  # posting day not counted
    assert problems == []


@pytest.mark.parametrize(
    ("approved_days_after_posting", "blocked"),
    [(6, True), (7, True), (8, False)],
)
def test_result_only_after_the_period_completed(approved_days_after_posting, blocked):
    approved = POSTED + dt.timedelta(days=approved_days_after_posting)
    decisions, problems = decide([publicity(), result(approved)], PROGRAMS, approved + dt.timedelta(days=1))
    assert (decisions["gb"].status is PublicityStatus.BLOCKED) is blocked
    assert [p.slug for p in problems] == (["publicity-not-completed"] if blocked else [])
    if blocked:
        assert "第十九条" in problems[0].message and "2026年12月3日" in problems[0].message


def test_result_scheduled_before_its_publication_day():
    decisions, _ = decide([publicity(), result(dt.date(2026, 12, 4), dt.date(2026, 12, 10))], PROGRAMS,
                          dt.date(2026, 12, 5))
    assert decisions["gb"].status is PublicityStatus.SCHEDULED


def test_a_person_not_in_the_publicity_blocks_the_result():
    decisions, problems = decide([publicity(keys=(KEY_A,)), result(dt.date(2026, 12, 4), keys=(KEY_A, KEY_B))],
                                 PROGRAMS, dt.date(2026, 12, 5))
    assert decisions["gb"].status is PublicityStatus.BLOCKED
    assert [p.slug for p in problems] == ["person-not-in-publicity"]
    assert "张*" in problems[0].message and problems[0].line == 10


@given(posted_offset=st.integers(0, 400), approved_offset=st.integers(0, 30), today_offset=st.integers(0, 60))
def test_no_result_is_published_before_its_publicity_ended(posted_offset, approved_offset, today_offset):
    posted = dt.date(2026, 1, 1) + dt.timedelta(days=posted_offset)
    approved = posted + dt.timedelta(days=approved_offset)
    today = posted + dt.timedelta(days=today_offset)
    decisions, _ = decide([publicity(posted), result(approved)], PROGRAMS, today)
    if decisions["gb"].status is PublicityStatus.PUBLISHED:
        assert approved > decisions["gs"].period.last_day
        assert decisions["gs"].status is PublicityStatus.ENDED


@given(st.integers(-10, 30), st.integers(0, 30))
def test_status_never_goes_backwards(offset, step):
    order = [PublicityStatus.SCHEDULED, PublicityStatus.IN_PUBLICITY, PublicityStatus.ENDED]
    first = POSTED + dt.timedelta(days=offset)
    earlier, _ = decide([publicity()], PROGRAMS, first)
    later, _ = decide([publicity()], PROGRAMS, first + dt.timedelta(days=step))
    assert order.index(later["gs"].status) >= order.index(earlier["gs"].status)
