"""Reading CSV files: the fast reader for plain UTF-8 files gives exactly the rows the csv
module gives, and every file it cannot split safely (any quoted cell but an empty one, a
bare carriage return, a stray byte-order mark) goes to the csv module."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from polars.testing import assert_frame_equal

from xueji.domain.errors import ValidationFailed
from xueji.registry.imports import csv_shape
from xueji.registry.imports import files as import_files
from xueji.registry.imports.files import TEMPLATE_HEADERS, read_chunks

HEADER = ",".join(TEMPLATE_HEADERS)
SHORT_HEADER = " 学籍号 ,姓名,性别,出生日期,监护人姓名,监护人关系,监护人电话"
ROW = "G440604201602110012,张三,男,2016-02-11,3,三年级(1)班,陈大明,父亲,13800138001,,,"


def _both_readers(path: Path, chunk_rows: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        fast = list(import_files._plain_csv_chunks(path, handle, chunk_rows))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        slow = list(import_files._csv_chunks(handle, chunk_rows))
    assert [c.height for c in fast if c.height] == [c.height for c in slow]
    return pl.concat(fast), pl.concat(slow)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(f"{HEADER}\n{ROW}\n{ROW}\n", id="lf"),
        pytest.param(f"{HEADER}\r\n{ROW}\r\n{ROW}\r\n", id="crlf"),
        pytest.param(f"{HEADER}\n{ROW}\n{ROW}", id="no-final-newline"),
        pytest.param(f"\ufeff{HEADER}\n{ROW}\n", id="bom"),
        pytest.param(f"{HEADER}\n{ROW}\n\n{ROW}\n", id="blank-line-keeps-row-numbers"),
        pytest.param(f"{HEADER}\n\n{ROW}\n{ROW}\n\n\n", id="blank-lines-first-and-last"),
        pytest.param(f"{HEADER}\nG1,李四\n{ROW},多余,多余\n", id="short-and-long-rows"),
        pytest.param(f"{HEADER}\n  G2 , 王 五 ,1,20160211\n", id="spaces-kept"),
        pytest.param(f"{SHORT_HEADER}\n{ROW}\n", id="header"),
        pytest.param(f"{HEADER}\n" + f"{ROW}\n" * 7, id="several-chunks"),
        pytest.param(f'{HEADER}\nG1,"",李四,"",""\n"",王五,"","",""\r\n', id="empty-quoted"),
    ],
)
def test_fast_reader_gives_the_csv_modules_rows(tmp_path: Path, body: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(body.encode("utf-8"))
    assert csv_shape.inspect_csv(path) == (True, True)
    fast, slow = _both_readers(path, chunk_rows=3)
    assert_frame_equal(fast, slow)
    assert fast["row"].to_list() == list(range(2, 2 + fast.height))


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(HEADER + "\n", encoding="utf-8")
    with read_chunks(path) as chunks:
        assert sum(chunk.height for chunk in chunks) == 0


@pytest.mark.parametrize(
    ("content", "plain"),
    [
        pytest.param(f'{HEADER}\nG1,"",张三,""\n'.encode(), True, id="empty-quoted-cells"),
        pytest.param(f'{HEADER}\nG1,"张,三"\n'.encode(), False, id="quoted-comma"),
        pytest.param(f'{HEADER}\nG1,"他说""好"""\n'.encode(), False, id="doubled-quotes"),
        pytest.param(f'{HEADER}\n"张"三"丰",d\n'.encode(), False, id="text-after-quote"),
        pytest.param(f'{HEADER}\n"a" "b",c\n'.encode(), False, id="space-between-quotes"),
        pytest.param(f'{HEADER}\n""a"",b\n'.encode(), False, id="empty-quotes-then-text"),
        pytest.param(f'{HEADER}\na"b,"c\nd",e"f\n2,x\n'.encode(), False, id="literal-quotes"),
        pytest.param(f"{HEADER}\n\ufeffG1,张三\n".encode(), False, id="bom-in-a-data-line"),
        pytest.param(f'{HEADER}\nG1,"张\n三"\n'.encode(), False, id="line-break-in-cell"),
        pytest.param(f'{HEADER}\nG1,"张\r\n三"\n'.encode(), False, id="crlf-in-cell"),
        pytest.param(f"{HEADER}\rG1,张三\r".encode(), False, id="bare-cr"),
        pytest.param(f"{HEADER}\nG1,张三\r".encode(), False, id="cr-at-end"),
        pytest.param(f"{HEADER}\r\nG1,张三\r\n".encode(), True, id="crlf"),
    ],
)
def test_only_plain_files_take_the_fast_reader(tmp_path: Path, content: bytes, plain: bool) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert csv_shape.inspect_csv(path) == (True, plain)


#: blocks of a few KiB, so that a line can span two without being longer than a roster
#: line may be (``limits.MAX_LINE_BYTES``)
BLOCK = 4096


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_shape, "INSPECT_BLOCK", BLOCK)


def test_a_crlf_split_across_blocks_is_still_plain(tmp_path: Path, small_blocks: None) -> None:
    path = tmp_path / "big.csv"
    line = (ROW + "\r\n").encode()
    head = (HEADER + "\r\n").encode()
    filler = BLOCK - len(head) - 1  # the first block ends between CR and LF
    content = head + b"x" * filler + b"\r\n" + line
    path.write_bytes(content)
    assert csv_shape.inspect_csv(path) == (True, True)


def test_a_bom_opening_the_second_block_is_found(tmp_path: Path, small_blocks: None) -> None:
    path = tmp_path / "big.csv"
    head = (HEADER + "\n").encode()
    filler = b"G1," + b"x" * (BLOCK - len(head) - 4) + b"\n"  # block 1 ends here
    path.write_bytes(head + filler + "\ufeffG2,张三\n".encode())
    assert csv_shape.inspect_csv(path) == (True, False)


PIECES = ["a", "张", ",", '"', '""', ',"",', " ", "\r", "\ufeff"]
CELLS = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(CELLS, min_size=1, max_size=6), ending=st.sampled_from(["\n", "\r\n"]))
def test_whenever_a_file_is_plain_both_readers_agree(lines: list[str], ending: str) -> None:
    body = HEADER + ending + ending.join(lines) + ending
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(body.encode("utf-8"))
        if csv_shape.inspect_csv(path) != (True, True):
            return
        fast, slow = _both_readers(path, chunk_rows=2)
        assert_frame_equal(fast, slow)


def test_a_cell_holding_a_line_break_in_the_next_block_is_found(
    tmp_path: Path, small_blocks: None
) -> None:
    path = tmp_path / "big.csv"
    head = (HEADER + "\n").encode()
    opened = head + b'G1,"' + b"x" * (BLOCK - len(head) - 4)  # the quote opens in block 1
    path.write_bytes(opened + b'x\ny",\n')  # and the line break inside it is in block 2
    assert csv_shape.inspect_csv(path) == (True, False)


def test_quoted_cells_keep_commas_and_doubled_quotes(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text(f'{HEADER}\n"G1","张,三","男"\n"G2","李""四","女"\n', encoding="utf-8")
    with read_chunks(path) as chunks:
        frame = pl.concat(list(chunks))
    assert frame["name"].to_list() == ["张,三", '李"四']
    assert frame["row"].to_list() == [2, 3]


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param(['G1,"学生三,男', "G2,李四,男", "G3,王五,男"], id="stray-quote-to-the-end"),
        pytest.param(['G1,"学生三,男', 'G2,李四",男', "G3,王五,男"], id="stray-quote-closed-later"),
        pytest.param(['G1,"学生\n三",男', "G2,李四,男"], id="line-break-in-a-cell"),
    ],
)
def test_a_cell_swallowing_rows_refuses_the_file_naming_the_row(
    tmp_path: Path, lines: list[str]
) -> None:
    path = tmp_path / "stray.csv"
    path.write_text("\n".join([HEADER, "G0,张三,男", *lines]) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="第 3 行") as caught, read_chunks(path) as chunks:
        list(chunks)
    assert caught.value.code == "IMPORT_CSV_MALFORMED"


def test_a_stray_quote_in_a_large_file_is_refused_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        "\n".join([HEADER, 'G1,"学生三,男', *["G2,李四,男"] * 20_000]) + "\n", encoding="utf-8"
    )
    with pytest.raises(ValidationFailed) as caught, read_chunks(path, chunk_rows=5) as chunks:
        list(chunks)
    assert caught.value.code == "IMPORT_CSV_MALFORMED"
    assert caught.value.message.startswith("第 2 行")


def _columns_of(path: Path) -> pl.DataFrame:
    with read_chunks(path) as chunks:
        return pl.concat(list(chunks))


GUARDIANS_TWICE = [*TEMPLATE_HEADERS[:9], "监护人姓名", "监护人关系", "监护人电话"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_second_set_of_guardian_columns_is_the_second_guardian(
    tmp_path: Path, suffix: str
) -> None:
    cells = ["G1", "张三", "男", "2016-02-11", "3", "1班", "张大", "父亲", "13800138001"]
    rows = [[*cells, "李二", "母亲", "13800138002"], [*cells, "", "", ""]]
    frame = _columns_of(_write(tmp_path / f"twice{suffix}", GUARDIANS_TWICE, rows))
    assert frame["g1_name"].to_list() == ["张大", "张大"]
    assert frame["g2_name"].to_list()[0] == "李二"
    assert frame["g2_phone"].to_list()[0] == "13800138002"
    assert not frame["g2_name"].to_list()[1]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_any_other_repeated_column_refuses_the_file(tmp_path: Path, suffix: str) -> None:
    headers = [*TEMPLATE_HEADERS, "姓名"]
    with pytest.raises(ValidationFailed, match="重复的列：姓名") as caught:
        _columns_of(_write(tmp_path / f"twice{suffix}", headers, [["G1"] * len(headers)]))
    assert caught.value.code == "IMPORT_HEADER_DUPLICATE"


def test_headers_typed_with_full_width_digits_spaces_or_line_breaks(tmp_path: Path) -> None:
    headers = [
        "学 籍 号",
        "姓名",
        "性别",
        "出生\n日期",
        "监护人１姓名",
        "监护人\r\n关系",
        "监护人　电话",
    ]
    frame = _columns_of(_write(tmp_path / "typed.xlsx", headers, [["G1", "张三", "男"]]))
    assert frame["registry_no"].to_list() == ["G1"]


def _write(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    if path.suffix == ".xlsx":
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        for line in [headers, *rows]:
            sheet.append(line)
        workbook.save(path)
    else:
        path.write_text("\n".join(",".join(line) for line in [headers, *rows]), encoding="utf-8")
    return path


def test_gb18030_file_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gb.csv"
    path.write_bytes(f"{HEADER}\nG1,阿卜杜·艾力\n".encode("gb18030"))
    assert csv_shape.inspect_csv(path)[0] is False
    with read_chunks(path) as chunks:
        assert pl.concat(list(chunks))["name"].to_list() == ["阿卜杜·艾力"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_up_to_four_guardians_named_or_as_repeated_sets(tmp_path: Path, suffix: str) -> None:
    repeated = [*GUARDIANS_TWICE, *GUARDIANS_TWICE[9:], *GUARDIANS_TWICE[9:]]
    named = [*TEMPLATE_HEADERS[:9], "监护人２姓名", "监护人2关系", "监护人2电话"]
    named += ["第三监护人姓名", "监护人三关系", "监护人3电话"]
    named += ["监护人4姓名", "监护人四关系", "第四监护人电话"]
    cells = ["G1", "张三", "男", "2016-02-11", "3", "1班"]
    guardians = [["张大", "父亲", "13800138001"], ["李二", "母亲", "13800138002"]]
    guardians += [["张爷", "祖父", "13800138003"], ["李奶", "外祖母", "13800138004"]]
    for headers in (repeated, named):
        row = [*cells, *(cell for guardian in guardians for cell in guardian)]
        frame = _columns_of(_write(tmp_path / f"four{suffix}", headers, [row]))
        assert [frame[f"g{n}_name"][0] for n in (1, 2, 3, 4)] == ["张大", "李二", "张爷", "李奶"]
        assert frame["g4_phone"][0] == "13800138004"
    with pytest.raises(ValidationFailed, match="重复的列") as fifth:
        _columns_of(_write(tmp_path / f"five{suffix}", [*repeated, *GUARDIANS_TWICE[9:]], []))
    assert fifth.value.code == "IMPORT_HEADER_DUPLICATE"


@pytest.mark.parametrize("quoted", [False, True])
def test_a_helpers_share_holds_its_chunks_with_their_spreadsheet_rows(
    tmp_path: Path, quoted: bool
) -> None:
    """Helper 1 of 2 with chunks of two rows: the second chunk (rows 4 and 5) and no
    other, whether the file is plain (blocks of other helpers only counted) or not."""
    names = [f'"张{i}"' if quoted else f"张{i}" for i in range(5)]
    path = tmp_path / "share.csv"
    path.write_text(
        ",".join(TEMPLATE_HEADERS) + "\n" + "".join(f"G{i},{n}\n" for i, n in enumerate(names)),
        encoding="utf-8",
    )
    with read_chunks(path, 2, (1, 2)) as chunks:
        read = list(chunks)
    assert [chunk["row"].to_list() for chunk in read] == [[4, 5]]
    assert read[0]["name"].to_list() == ["张2", "张3"]
