"""The publicity engine, walked day by day at its boundaries."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.model import (
    HolidayYear,
    Notice,
    NoticeKind,
    Objection,
    ObjectionOutcome,
    Provenance,
    PublicityStatus,
    RosterRow,
)
from generator.programs import PublicityRule, all_programs
from generator.publicity import PersonChecks, decide, manifest, publicity_period
from generator.report import Severity
from generator.sources import DIBAO_PUBLICITY
from generator.workdays import CalendarGap, WorkCalendar

PROGRAMS = all_programs()
CAL = WorkCalendar()
POSTED = dt.date(2026, 11, 25)  # a Wednesday, no holiday within reach
KEY_A, KEY_B = "a" * 64, "b" * 64
SEVEN_DAYS = PublicityRule(7, "calendar", DIBAO_PUBLICITY)
SEVEN_WORKING_DAYS = PublicityRule(7, "working", DIBAO_PUBLICITY)
D = dt.date.fromisoformat

# A made-up 2027 arrangement for tests only: NOT the State Council's real one.
FICTIONAL_2027 = HolidayYear(2027, "测试用虚构安排", "tests", frozenset({D("2027-01-01"), D("2027-01-02"), D("2027-01-03"),
                                                                   D("2027-01-04")}), frozenset({D("2027-01-09")}))


def row(key: str, name: str = "张*", line: int = 10, **fields) -> RosterRow:
    return RosterRow(key, {"name": name, **fields}, Provenance("data/notices/x.yaml", line))


def publicity(start=POSTED, keys=(KEY_A,), id_="gs", program="dibao_rural", objections=()) -> Notice:
    return Notice(id_, program, NoticeKind.PUBLICITY, "990100101201", "镇政府", "文号", start, None, None,
                  tuple(row(k) for k in keys), Provenance(f"data/notices/{id_}.yaml", 1), objections=objections)


def result(approved, published=None, keys=(KEY_A,), publicity_id="gs", program="dibao_rural", **extra) -> Notice:
    return Notice("gb", program, NoticeKind.RESULT, "990100101201", "县民政局", "文号", published or approved,
                  publicity_id, approved, tuple(row(k) for k in keys), Provenance("data/notices/gb.yaml", 1), **extra)


def objection(key=KEY_A, raised=POSTED + dt.timedelta(days=2), resolved=None, outcome=None) -> Objection:
    return Objection(1, key, raised, resolved, outcome, Provenance("data/notices/gs.yaml", 30))


# -- periods --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("posted", "last_day", "extended_from", "why"),
    [
        ("2026-11-25", "2026-12-02", None, "ordinary week"),
        ("2025-09-24", "2025-10-09", "2025-10-01", "DESIGN's example: day 7 in the 2025 National Day block"),
        ("2026-09-24", "2026-10-08", "2026-10-01", "2026 National Day"),
        ("2026-09-23", "2026-09-30", None, "ends the day before National Day"),
        ("2026-02-10", "2026-02-24", "2026-02-17", "2026 Spring Festival"),
        ("2026-02-07", "2026-02-14", None, "day 7 is a 调休 working Saturday: no extension"),
        ("2025-12-27", "2026-01-04", "2026-01-03", "across the year end into 元旦, ends on a make-up Sunday"),
        ("2026-11-21", "2026-11-30", "2026-11-28", "ordinary Saturday moves to Monday"),
        ("2026-12-24", "2026-12-31", None, "ends on the last day of a covered year"),
    ],
)
def test_calendar_day_periods(posted, last_day, extended_from, why):
    period = publicity_period(D(posted), SEVEN_DAYS, CAL)
    assert (period.last_day, period.extended_from) == (D(last_day), D(extended_from) if extended_from else None), why


@pytest.mark.parametrize(
    ("posted", "last_day"),
    [("2026-11-27", "2026-12-08"),  # Friday: 7 working days skip two weekends
     ("2026-09-28", "2026-10-13"),  # across National Day 2026 (10-10 Saturday is a working day)
     ("2026-02-06", "2026-02-24")],  # across Spring Festival 2026 (02-14 is a working Saturday)
)
def test_working_day_periods(posted, last_day):
    period = publicity_period(D(posted), SEVEN_WORKING_DAYS, CAL)
    assert period.last_day == D(last_day)
    assert CAL.is_workday(period.last_day)


def test_a_2027_period_without_its_holiday_file_fails_naming_the_year_and_file():
    with pytest.raises(CalendarGap) as gap:
        publicity_period(D("2026-12-28"), SEVEN_DAYS, CAL)
    assert gap.value.year == 2027
    assert "data/holidays/2027.yaml" in gap.value.message()
    decisions, problems = decide([publicity(D("2026-12-28"))], PROGRAMS, D("2026-12-29"), CAL)
    assert decisions == {} and [p.slug for p in problems] == ["calendar-year-missing"]


def test_a_2027_period_with_its_holiday_file():
    calendar = WorkCalendar({2027: FICTIONAL_2027})
    period = publicity_period(D("2026-12-28"), SEVEN_DAYS, calendar)  # day 7: 2027-01-04, off in the file
    assert (period.last_day, period.extended_from) == (D("2027-01-05"), D("2027-01-04"))
    assert calendar.is_workday(D("2027-01-09"))  # a Saturday the file makes a working day


# -- status day by day ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("days_after_posting", "status"),
    [(-1, PublicityStatus.SCHEDULED), (0, PublicityStatus.IN_PUBLICITY), (6, PublicityStatus.IN_PUBLICITY),
     (7, PublicityStatus.IN_PUBLICITY), (8, PublicityStatus.ENDED)],
)
def test_publicity_status_by_day(days_after_posting, status):
    decisions, problems = decide([publicity()], PROGRAMS, POSTED + dt.timedelta(days=days_after_posting), CAL)
    assert decisions["gs"].status is status and problems == []


@pytest.mark.parametrize(("today", "status"), [("2025-10-08", PublicityStatus.IN_PUBLICITY),
                                               ("2025-10-09", PublicityStatus.IN_PUBLICITY),
                                               ("2025-10-10", PublicityStatus.ENDED)])
def test_status_across_national_day(today, status):
    decisions, _ = decide([publicity(D("2025-09-24"))], PROGRAMS, D(today), CAL)
    assert decisions["gs"].status is status
    assert "第二百零三条" in decisions["gs"].reason


@pytest.mark.parametrize(("approved", "blocked"), [("2026-12-01", True), ("2026-12-02", True), ("2026-12-03", False)])
def test_result_only_after_the_period_completed(approved, blocked):
    decisions, problems = decide([publicity(), result(D(approved))], PROGRAMS, D("2026-12-05"), CAL)
    assert (decisions["gb"].status is PublicityStatus.BLOCKED) is blocked
    assert [p.slug for p in problems] == (["publicity-not-completed"] if blocked else [])
    if blocked:
        assert "2026年12月3日" in problems[0].message and "第十九条" in problems[0].message


@pytest.mark.parametrize(("approved", "blocked"), [("2025-10-09", True), ("2025-10-10", False)])
def test_result_after_a_holiday_extended_period(approved, blocked):
    decisions, _ = decide([publicity(D("2025-09-24")), result(D(approved))], PROGRAMS, D("2025-10-20"), CAL)
    assert (decisions["gb"].status is PublicityStatus.BLOCKED) is blocked


def test_result_scheduled_before_its_publication_day():
    decisions, _ = decide([publicity(), result(D("2026-12-04"), D("2026-12-10"))], PROGRAMS, D("2026-12-05"), CAL)
    assert decisions["gb"].status is PublicityStatus.SCHEDULED


# -- person by person -----------------------------------------------------------------------------

def test_a_person_not_in_any_publicity_blocks_the_result():
    decisions, problems = decide([publicity(keys=(KEY_A,)), result(D("2026-12-04"), keys=(KEY_A, KEY_B))],
                                 PROGRAMS, D("2026-12-05"), CAL)
    assert decisions["gb"].status is PublicityStatus.BLOCKED
    assert [p.slug for p in problems] == ["person-not-in-publicity"]
    assert "张*" in problems[0].message and problems[0].line == 10


def test_a_person_from_an_earlier_completed_publicity_of_the_same_village_may_be_listed():
    earlier = publicity(D("2026-10-10"), keys=(KEY_B,), id_="gs-old")
    decisions, problems = decide([earlier, publicity(), result(D("2026-12-04"), keys=(KEY_A, KEY_B))],
                                 PROGRAMS, D("2026-12-05"), CAL)
    assert problems == [] and decisions["gb"].status is PublicityStatus.PUBLISHED


def test_a_person_in_another_programs_publicity_does_not_count():
    other = publicity(keys=(KEY_B,), id_="gs-urban", program="dibao_urban")
    _, problems = decide([other, publicity(), result(D("2026-12-04"), keys=(KEY_A, KEY_B))], PROGRAMS,
                         D("2026-12-05"), CAL)
    assert [p.slug for p in problems] == ["person-not-in-publicity"]


# -- objections and re-notice ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("the_objection", "slugs"),
    [
        (objection(), ["objection-unresolved"]),
        (objection(resolved=D("2026-12-05"), outcome=ObjectionOutcome.DISMISSED), ["objection-unresolved"]),  # after approval
        (objection(resolved=D("2026-12-01"), outcome=ObjectionOutcome.DISMISSED), []),
        (objection(resolved=D("2026-12-01"), outcome=ObjectionOutcome.CHANGED), ["renotice-required"]),
        (objection(raised=D("2026-12-06")), []),  # raised after the approval: does not undo it
    ],
)
def test_objections(the_objection, slugs):
    decisions, problems = decide([publicity(objections=(the_objection,)), result(D("2026-12-04"))], PROGRAMS,
                                 D("2026-12-07"), CAL)
    assert [p.slug for p in problems] == slugs
    if slugs:
        assert decisions["gb"].status is PublicityStatus.BLOCKED and "第十九条" in problems[0].message


def test_a_new_publicity_after_a_changed_opinion_clears_the_person():
    changed = objection(resolved=D("2026-12-01"), outcome=ObjectionOutcome.CHANGED)
    renotice = publicity(D("2026-12-02"), id_="gs-renotice")  # ends 2026-12-09
    first = publicity(objections=(changed,))
    assert [p.slug for p in decide([first, renotice, result(D("2026-12-09"))], PROGRAMS, D("2026-12-10"), CAL)[1]] == [
        "publicity-not-completed"]  # the re-notice has not ended on the approval day
    decisions, problems = decide([first, renotice, result(D("2026-12-10"))], PROGRAMS, D("2026-12-11"), CAL)
    assert problems == [] and decisions["gb"].status is PublicityStatus.PUBLISHED


@pytest.mark.parametrize("outcome", [ObjectionOutcome.DISMISSED, ObjectionOutcome.CHANGED])
def test_tekun_any_objection_needs_a_new_publicity_whatever_its_outcome(outcome):
    """《特困人员认定办法》第十五条: 有异议的，重新组织调查核实，并重新公示 (not only when the opinion changed)."""
    heard = objection(resolved=D("2026-12-01"), outcome=outcome)
    first = publicity(objections=(heard,), program="tekun")
    decisions, problems = decide([first, result(D("2026-12-04"), program="tekun")], PROGRAMS, D("2026-12-05"), CAL)
    assert [p.slug for p in problems] == ["renotice-required"] and "第十五条" in problems[0].message
    assert decisions["gb"].status is PublicityStatus.BLOCKED
    renotice = publicity(D("2026-12-02"), id_="gs-renotice", program="tekun")  # ends 2026-12-09
    decisions, problems = decide([first, renotice, result(D("2026-12-10"), program="tekun")], PROGRAMS,
                                 D("2026-12-11"), CAL)
    assert problems == [] and decisions["gb"].status is PublicityStatus.PUBLISHED


def test_only_tekun_asks_for_a_new_publicity_after_a_dismissed_objection():
    assert [code for code, spec in PROGRAMS.items() if spec.renotice_any] == ["tekun"]


def test_an_open_objection_on_the_linked_publicity_blocks_even_with_an_older_completed_one():
    """Review finding #1: last year's completed 公示 must not let an open objection through."""
    old = publicity(D("2025-11-03"), id_="gs-2025")
    current = publicity(objections=(objection(),))
    decisions, problems = decide([old, current, result(D("2026-12-04"))], PROGRAMS, D("2026-12-05"), CAL)
    assert [p.slug for p in problems] == ["objection-unresolved"]
    assert decisions["gb"].status is PublicityStatus.BLOCKED


def test_a_running_publicity_of_the_person_blocks_a_result_based_on_an_older_one():
    old = publicity(D("2025-11-03"), id_="gs-2025")
    running = publicity(D("2026-12-01"), id_="gs-now")  # ends 2026-12-08
    decisions, problems = decide([old, running, result(D("2026-12-04"), publicity_id="gs-2025")], PROGRAMS,
                                 D("2026-12-05"), CAL)
    assert [p.slug for p in problems] == ["publicity-not-completed"] and "gs-now" in problems[0].message


def test_an_unresolved_changed_objection_raised_after_approval_does_not_crash():
    late = Objection(1, KEY_A, D("2026-12-06"), None, ObjectionOutcome.CHANGED, Provenance("x", 1))
    _, problems = decide([publicity(objections=(late,)), result(D("2026-12-04"))], PROGRAMS, D("2026-12-07"), CAL)
    assert problems == []


# -- the memo of people checked (a rebuild checks the people of the 公布 whose files changed) -------

def _checked(notices, keys, passed=(), calendar=CAL, today=D("2026-12-05")):
    memo = PersonChecks(set(passed), keys, calendar)
    _, problems = decide(notices, PROGRAMS, today, calendar, memo=memo)
    return [p.slug for p in problems], memo.found


def test_a_result_whose_people_passed_is_not_checked_again_under_the_same_files():
    clean, gb = publicity(), result(D("2026-12-04"))
    keys = {"gs": "gs-file-1", "gb": "gb-file-1"}
    slugs, found = _checked([clean, gb], keys)
    assert slugs == [] and len(found) == 1
    # The same file keys: the memo's pass is taken, the people are not looked at. A planted open objection
    # proves it (the files are the truth: their keys change when they do, below).
    leaky = publicity(objections=(objection(),))
    assert _checked([leaky, gb], keys, found) == ([], found)
    assert _checked([leaky, gb], {**keys, "gs": "gs-file-2"}, found)[0] == ["objection-unresolved"]
    # Another 公示 of the same program and village, the 公布's own file, the holidays: checked again.
    assert _checked([leaky, publicity(D("2026-11-01"), id_="gs-old"), gb], {**keys, "gs-old": "old-1"}, found)[0] == [
        "objection-unresolved"]
    assert _checked([leaky, gb], {**keys, "gb": "gb-file-2"}, found)[0] == ["objection-unresolved"]
    assert _checked([leaky, gb], keys, found, WorkCalendar({2027: FICTIONAL_2027}))[0] == ["objection-unresolved"]
    # Not today: the checks compare the files' dates with each other.
    assert _checked([leaky, gb], keys, found, today=D("2026-12-31")) == ([], found)


def test_the_memo_is_kept_to_a_result_s_own_village_and_program_and_to_passes():
    gb = result(D("2026-12-04"))
    elsewhere = publicity(id_="gs-elsewhere", program="tekun")
    keys = {"gs": "gs-1", "gb": "gb-1", "gs-elsewhere": "e-1"}
    _, found = _checked([publicity(), elsewhere, gb], keys)
    assert _checked([publicity(), elsewhere, gb], {**keys, "gs-elsewhere": "e-2"}, found) == ([], found)
    # A result with a problem is not remembered: its problems are reported whole every time.
    blocked = [publicity(objections=(objection(),)), gb]
    assert _checked(blocked, keys) == (["objection-unresolved"], [])
    # Read without a build cache (no file keys): checked, never remembered.
    assert _checked([publicity(), gb], {}) == ([], [])
    assert _checked([publicity(), gb], {"gb": "gb-1"}) == ([], [])


# -- termination, post-hoc, deadlines -------------------------------------------------------------

def termination(effective: str, start=POSTED) -> Notice:
    return Notice("zz", "tekun", NoticeKind.TERMINATION, "990100101201", "镇政府", "文号", start, None, None,
                  (row(KEY_A),), Provenance("data/notices/zz.yaml", 1), effective_on=D(effective))


@pytest.mark.parametrize(("effective", "blocked"), [("2026-12-02", True), ("2026-12-03", False)])
def test_termination_takes_effect_only_after_its_period(effective, blocked):
    decisions, problems = decide([termination(effective)], PROGRAMS, D("2026-11-30"), CAL)
    assert [p.slug for p in problems] == (["termination-before-period-ends"] if blocked else [])
    assert decisions["zz"].status is (PublicityStatus.BLOCKED if blocked else PublicityStatus.IN_PUBLICITY)
    if blocked:
        assert "第二十六条" in problems[0].message


def test_post_hoc_emergency_aid_is_published_without_a_prior_publicity():
    aid = result(D("2026-11-20"), D("2026-11-23"), publicity_id=None, program="temporary_aid", post_hoc_reason="意外事故")
    decisions, problems = decide([aid], PROGRAMS, D("2026-11-30"), CAL)
    assert problems == [] and decisions["gb"].status is PublicityStatus.PUBLISHED
    assert "事后公示" in decisions["gb"].reason and "民发〔2018〕23号" in decisions["gb"].reason


def decision_notice(decided: str, published: str) -> Notice:
    return Notice("sgs", "dual_disclosure", NoticeKind.RESULT, "990100101201", "县民政局", "文号", D(published), None,
                  D(decided), (RosterRow("", {}, Provenance("data/notices/sgs.yaml", 5)),),
                  Provenance("data/notices/sgs.yaml", 1))


@pytest.mark.parametrize(
    ("decided", "published", "overdue"),
    [("2026-11-20", "2026-12-01", False),  # Friday + 7 working days = Tuesday 12-01
     ("2026-11-20", "2026-12-02", True),
     ("2026-09-28", "2026-10-13", False),  # National Day in between
     ("2026-09-28", "2026-10-14", True)],
)
def test_dual_disclosure_deadline(decided, published, overdue):
    decisions, problems = decide([decision_notice(decided, published)], PROGRAMS, D("2026-11-30") if
                                 D(published) < D("2026-11-30") else D(published), CAL)
    assert decisions["sgs"].status is PublicityStatus.PUBLISHED  # a late one is still published
    assert [(p.slug, p.severity) for p in problems] == ([("disclosure-overdue", Severity.WARNING)] if overdue else [])


# -- the manifest: no vanishing or changing during the period ------------------------------------

def test_a_publicity_may_not_vanish_or_change_during_its_period():
    before = manifest([publicity()], decide([publicity()], PROGRAMS, D("2026-11-26"), CAL)[0], D("2026-11-26"))
    _, problems = decide([], PROGRAMS, D("2026-11-28"), CAL, before)
    assert [p.slug for p in problems] == ["withdrawn-during-publicity"]
    _, problems = decide([publicity(keys=(KEY_A, KEY_B))], PROGRAMS, D("2026-11-28"), CAL, before)
    assert [p.slug for p in problems] == ["changed-during-publicity"]
    _, problems = decide([publicity()], PROGRAMS, D("2026-11-28"), CAL, before)
    assert problems == []
    _, problems = decide([], PROGRAMS, D("2026-12-03"), CAL, before)  # the period has ended
    assert problems == []


# -- properties -----------------------------------------------------------------------------------

covered_days = st.integers(0, 700).map(lambda n: D("2024-11-01") + dt.timedelta(days=n))  # stays within 2026


@settings(max_examples=300)
@given(posted=covered_days, approved_offset=st.integers(0, 30), today_offset=st.integers(0, 40))
def test_no_result_is_published_before_its_publicity_ended(posted, approved_offset, today_offset):
    approved = posted + dt.timedelta(days=approved_offset)
    decisions, _ = decide([publicity(posted), result(approved)], PROGRAMS, posted + dt.timedelta(days=today_offset), CAL)
    if decisions["gb"].status is PublicityStatus.PUBLISHED:
        last_day = decisions["gs"].period.last_day
        assert approved > last_day >= posted + dt.timedelta(days=7)
        assert decisions["gs"].status is PublicityStatus.ENDED


@given(covered_days, st.integers(0, 20), st.integers(0, 20))
def test_status_never_goes_backwards(posted, offset, step):
    order = [PublicityStatus.SCHEDULED, PublicityStatus.IN_PUBLICITY, PublicityStatus.ENDED]
    first = posted - dt.timedelta(days=5) + dt.timedelta(days=offset)
    earlier, _ = decide([publicity(posted)], PROGRAMS, first, CAL)
    later, _ = decide([publicity(posted)], PROGRAMS, first + dt.timedelta(days=step), CAL)
    assert order.index(later["gs"].status) >= order.index(earlier["gs"].status)


@given(covered_days, st.integers(0, 30))
def test_same_inputs_same_decision(posted, today_offset):
    notices = [publicity(posted), result(posted + dt.timedelta(days=9))]
    today = posted + dt.timedelta(days=today_offset)
    assert decide(notices, PROGRAMS, today, CAL) == decide(list(notices), PROGRAMS, today, WorkCalendar())
