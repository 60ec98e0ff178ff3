"""Generated import files for the benchmarks: unique, valid rows in the template layout,
and the same students in the national layout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from xueji.registry.imports.files import TEMPLATE_HEADERS

WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = list("明华丽强伟芳敏静磊洋艳勇军杰娟涛超秀英霞平刚桂")


def registry_numbers(rows: int, region: str = "440604") -> tuple[np.ndarray, np.ndarray]:
    """``rows`` distinct valid G numbers and their birth dates (1000 per day)."""
    index = np.arange(rows)
    days = index // 1000
    births = np.datetime64("2019-12-31") - days.astype("timedelta64[D]")
    text = np.char.replace(births.astype(str), "-", "")
    sequence = np.char.zfill((index % 1000).astype(str), 3)
    first17 = np.char.add(np.char.add(region, text), sequence)
    digits = np.frombuffer("".join(first17.tolist()).encode(), dtype=np.uint8).reshape(rows, 17)
    check = (12 - (digits.astype(np.int64) - 48) @ WEIGHTS % 11) % 11
    numbers = np.char.add(np.char.add("G", first17), np.where(check == 10, "X", check.astype(str)))
    return numbers, births


def write_file(path: Path, rows: int, *, chunk: int = 1_000_000, region: str = "440604") -> Path:
    """A UTF-8 CSV of ``rows`` valid students, written in chunks to bound memory; numbers
    of another ``region`` are other students."""
    rng = np.random.default_rng(7)
    with path.open("wb") as handle:
        # the columns most rosters have: the template's up to the second guardian
        handle.write((",".join(TEMPLATE_HEADERS[:12]) + "\n").encode("utf-8"))
        for start in range(0, rows, chunk):
            count = min(chunk, rows - start)
            numbers, births = registry_numbers(start + count, region)
            numbers, births = numbers[start:], births[start:]
            male = np.array([int(n[17]) % 2 == 1 for n in numbers])
            frame = pl.DataFrame(
                {
                    "学籍号": numbers,
                    "姓名": [
                        SURNAMES[i % 20]
                        + GIVEN[(i // 20) % len(GIVEN)]
                        + GIVEN[(i // 400) % len(GIVEN)]
                        for i in range(start, start + count)
                    ],
                    "性别": np.where(male, "男", "女"),
                    "出生日期": births.astype(str),
                    "年级": np.full(count, "3"),
                    "班级": np.char.add(
                        "三年级(", np.char.add(((np.arange(count) % 8) + 1).astype(str), ")班")
                    ),
                    "监护人姓名": [
                        SURNAMES[i % 20] + GIVEN[(i // 7) % len(GIVEN)] for i in range(count)
                    ],
                    "监护人关系": np.where(rng.random(count) < 0.5, "父亲", "母亲"),
                    "监护人电话": np.char.add(
                        "139", np.char.zfill(rng.integers(0, 10**8, count).astype(str), 8)
                    ),
                    "监护人2姓名": np.full(count, ""),
                    "监护人2关系": np.full(count, ""),
                    "监护人2电话": np.full(count, ""),
                }
            )
            frame.write_csv(handle, include_header=False)
    return path


#: the national layout's cells every generated student shares (a primary-school pupil)
NATIONAL_SHARED = {
    "出生地": "440604",
    "籍贯": "440604",
    "民族": "01",
    "国籍/地区": "CHN",
    "身份证件类型": "1",
    "港澳台侨外": "0",
    "健康状况": "1",
    "户口所在地": "440604",
    "户口性质": "2",
    "入学年月": "202309",
    "入学方式": "1",
    "就读方式": "1",
    "学生来源": "1",
    "现住址": "广东省佛山市禅城区祖庙路1号",
    "是否独生子女": "0",
    "是否受过学前教育": "1",
    "是否留守儿童": "0",
    "是否进城务工人员随迁子女": "0",
    "是否孤儿": "0",
    "是否烈士或优抚子女": "0",
    "随班就读": "0",
    "是否需要申请资助": "0",
    "是否享受一补": "0",
    "成员1是否监护人": "1",
}


def write_national_file(path: Path, template: Path) -> Path:
    """The students of the template-layout file ``template`` in the national layout
    (``national.fields``): every column of the form, the required ones filled, codes."""
    from xueji.registry.national.fields import NATIONAL_COLUMNS

    with path.open("wb") as handle:
        handle.write((",".join(NATIONAL_COLUMNS.values()) + "\n").encode("utf-8"))
        students = pl.read_csv(template, infer_schema=False)
        for batch in students.iter_slices(200_000):
            count = batch.height
            given = {
                "全国学籍号": batch["学籍号"],
                "姓名": batch["姓名"],
                "性别": batch["性别"].replace({"男": "1", "女": "2"}),
                "出生日期": batch["出生日期"],
                "身份证件号": batch["学籍号"].str.slice(1),
                "年级": batch["年级"],
                "班级": batch["班级"],
                "成员1姓名": batch["监护人姓名"],
                "成员1关系": batch["监护人关系"].replace({"父亲": "51", "母亲": "52"}),
                "成员1联系电话": batch["监护人电话"],
            }
            frame = pl.DataFrame(
                {
                    header: given[header]
                    if header in given
                    else pl.Series(header, [NATIONAL_SHARED.get(header, "")] * count)
                    for header in NATIONAL_COLUMNS.values()
                }
            )
            frame.write_csv(handle, include_header=False)
    return path


def plain_rows(path: Path) -> list[tuple[str, str, str, str, str]]:
    """The same students as plain tuples, for the baseline insert."""
    frame = pl.read_csv(path, infer_schema=False)
    return list(frame.select("学籍号", "姓名", "性别", "出生日期", "监护人电话").iter_rows())


def today() -> dt.date:
    return dt.date(2026, 11, 29)
