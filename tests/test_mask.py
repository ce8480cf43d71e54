import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.mask import COMPOUND_SURNAMES, format_money, is_masked_name, mask, mask_name
from generator.model import Notice, NoticeKind, Provenance, PublicNotice, RosterRow
from generator.programs import all_programs
import datetime as dt


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳修", "欧阳*"),
        ("司马相如", "司马**"),
        ("上官婉儿", "上官**"),
        ("诸葛亮", "诸葛*"),
        ("欧阳", "欧*"),  # two characters: 欧 is the surname, 阳 the given name
        ("王", "*"),
        ("张 三", "张*"),
        (" 李四 ", "李*"),
        ("阿卜杜拉·艾力", "阿***·**"),
        ("张*", "张*"),
        ("欧阳*", "欧阳*"),
        ("", ""),
    ],
)
def test_mask_name(raw, masked):
    assert mask_name(raw) == masked


names = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=2, max_size=6)


@given(names)
def test_masking_is_idempotent(name):
    assert mask_name(mask_name(name)) == mask_name(name)


@given(names)
def test_masked_name_keeps_only_the_surname(name):
    masked = mask_name(name)
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    assert masked[:keep] == name[:keep]
    assert set(masked[keep:]) == {"*"}
    assert is_masked_name(masked)


@pytest.mark.parametrize(("value", "text"), [(860, "860.00"), (860.5, "860.50"), (Decimal("1005"), "1005.00"),
                                             ("335.00", "335.00")])
def test_money_is_always_two_decimals(value, text):
    assert format_money(value) == text


def test_mask_keeps_only_allow_listed_fields_in_spec_order():
    row = RosterRow("a" * 64, {"name": "张*", "group": "一组", "household_size": 2, "dibao_class": "A类",
                               "monthly_amount": 670.0, "change": "新增", "remark": "不应出现"}, Provenance("x.yaml", 3))
    notice = Notice("n1", "dibao_rural", NoticeKind.PUBLICITY, "990100101201", "镇政府", "文号", dt.date(2026, 11, 25),
                    None, None, (row,), Provenance("x.yaml", 1))
    [public], record = mask([notice], all_programs())
    assert list(public.rows[0]) == ["group", "name", "household_size", "dibao_class", "monthly_amount", "change"]
    assert public.rows[0]["monthly_amount"] == "670.00"
    assert not hasattr(public, "roster")  # person keys stay behind
    # Made without PublicNotice's __init__ (mask._public): every field set, no other attribute.
    assert set(vars(public)) == {f.name for f in dataclasses.fields(PublicNotice)}
    assert public == PublicNotice(**vars(public))
    dropped = {(r.field, r.operator) for r in record}
    assert ("remark", "drop") in dropped and ("person_key", "drop") in dropped
    assert ("name", "mask_name") in dropped
