"""The demo's national records (全国学籍信息): two pupils of 海口小学 with the form filled
in, so the record page, the printed sheet and the export in the national layout show
what a school keeps."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.registry import service
from xueji.registry.national import entry

#: the fields every demo pupil shares (a primary-school pupil living in 禅城区)
SHARED = {
    "nationality": "CHN",
    "document_type": "1",
    "overseas": "0",
    "political": "14",
    "health": "1",
    "hukou_type": "2",
    "admission_month": "202209",
    "admission_mode": "1",
    "study_mode": "1",
    "student_source": "1",
    "address": "广东省佛山市禅城区祖庙路 18 号",
    "only_child": "0",
    "preschool": "1",
    "left_behind": "0",
    "migrant_child": "0",
    "orphan": "0",
    "martyr_child": "0",
    "inclusive": "0",
    "disability": "0",
    "needs_aid": "0",
    "one_subsidy": "0",
    "commute": "4",
    "school_bus": "0",
}
#: name → what differs per pupil
PUPILS = {
    "陈小明": {
        "birthplace": "440604",
        "native_place": "440604",
        "hukou_region": "440604",
        "ethnicity": "01",
        "name_pinyin": "Chen Xiaoming",
        "talent": "围棋",
        "distance": "1.2",
        "m1_name": "陈大明",
        "m1_relation": "51",
        "m1_guardian": "1",
        "m1_phone": "13800138001",
        "m1_workplace": "佛山市禅城区某公司",
        "m2_name": "林秀英",
        "m2_relation": "52",
        "m2_guardian": "1",
        "m2_phone": "13800138002",
    },
    "阿卜杜·艾力": {
        "birthplace": "650102",
        "native_place": "650102",
        "hukou_region": "650102",
        "ethnicity": "05",
        "name_pinyin": "Abdu Ali",
        "migrant_child": "1",
        "distance": "3.5",
        "m1_name": "阿依古丽·买买提",
        "m1_relation": "52",
        "m1_guardian": "1",
        "m1_phone": "13800138004",
    },
}


def fill(session: Session, clock: Clock, admin: Principal, numbers: dict[str, str]) -> list[str]:
    """The national record of each newly registered demo pupil (name → number)."""
    created = []
    for name, values in PUPILS.items():
        if name not in numbers:
            continue
        located = service.locate(session, clock, admin, numbers[name])
        document = {"document_no": numbers[name][1:]}
        entry.correct(
            session, clock, admin, located, values=SHARED | values | document, reason="演示数据"
        )
        created.append(f"全国学籍信息 {name}")
    return created
