"""A first look at an uploaded CSV file, before any of it is parsed: its encoding, its
size and line lengths, and whether it is plain — whether the fast reader may split it
(``files.read_chunks``). Done once per import, by the importing process, while the helper
processes start."""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np

from xueji.registry.imports.limits import MAX_LINE_BYTES, MAX_ROWS, too_large

#: bytes ``inspect_csv`` reads at a time
INSPECT_BLOCK = 1 << 20
#: the bytes a whole empty cell ("") may sit between
SEPARATORS = (ord(","), ord("\n"))


def inspect_csv(path: Path) -> tuple[bool, bool]:
    """(is the file valid UTF-8, is it plain). Plain: the only quotes are whole empty
    cells (``""``, as some tools write an empty string), no carriage return other than in
    a CRLF line end, and no byte-order mark but at the very start. In a plain file every
    line is one row and every comma a separator, so polars and the csv module cannot
    disagree; a file with any other quote goes to the csv module, whose reading of odd
    quoting (``"张"三``, ``a"b``, a line break in a cell) is the one people's files get."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    utf8, plain, tail, at_start = True, True, b"", True
    lines_seen = carried = 0  # lines so far, length of the unfinished line
    with path.open("rb") as source:
        while block := source.read(INSPECT_BLOCK):
            lines_seen += block.count(b"\n")
            carried = _check_csv_shape(block, carried, lines_seen)
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
            if plain:
                lines = tail + block
                cut = lines.rfind(b"\n") + 1
                plain, tail = _plain_lines(lines[:cut], at_start), lines[cut:]
                at_start = at_start and cut == 0
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    last_line_ok = b"\r" not in tail and _plain_lines(tail + b"\n", at_start)
    return utf8, plain and last_line_ok


def _check_csv_shape(block: bytes, carried: int, lines_seen: int) -> int:
    """No line longer than a roster row can be, no more rows than a roster has; returns
    the length of the line the block leaves unfinished."""
    if lines_seen > MAX_ROWS + 1:
        raise too_large(f"文件超过 {MAX_ROWS:,} 行", rows=lines_seen)
    lines = block.split(b"\n")
    longest = max(carried + len(lines[0]), max(map(len, lines[1:]), default=0))
    if longest > MAX_LINE_BYTES:
        raise too_large("文件中有一行过长（列数过多）")
    return (carried if len(lines) == 1 else 0) + len(lines[-1])


def _plain_lines(lines: bytes, at_start: bool) -> bool:
    """Whether these whole lines (each ending in a line feed; ``at_start``: the file's
    first) keep the file plain."""
    stray_bom = b"\n" + codecs.BOM_UTF8 in lines or (
        not at_start and lines.startswith(codecs.BOM_UTF8)
    )
    if stray_bom or (b"\r" in lines and lines.count(b"\r") != lines.count(b"\r\n")):
        return False
    if b'"' not in lines:
        return True
    # every quote must be half of a whole empty cell: a pair of adjacent quotes after a
    # separator or a line's start and before a separator or the line's end (a lone
    # carriage return is refused above). Such pairs can neither overlap nor touch, so the
    # file is plain when they hold every quote: elementwise tests, no positions listed
    # (``np.flatnonzero`` took most of this on a roster with many empty cells).
    text = np.frombuffer(lines, dtype=np.uint8)
    quote = text == ord('"')
    before = np.empty_like(quote)
    before[0] = True  # the lines start a line
    before[1:] = (text[:-1] == SEPARATORS[0]) | (text[:-1] == SEPARATORS[1])
    after = (text == SEPARATORS[0]) | (text == SEPARATORS[1]) | (text == ord("\r"))
    # the lines end in a line feed, so a quote is never among the last two bytes of a pair
    pairs = quote[:-2] & quote[1:-1] & before[:-2] & after[2:]
    return int(np.count_nonzero(quote)) == 2 * int(np.count_nonzero(pairs))
