"""A4 documents in Chinese: real text in an embedded CJK font (selectable, extractable,
Extension B names included), for the info sheet and the family's copy of its data."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from xueji.domain.errors import XuejiError

#: the name documents set their text in
FONT = "cjk"
#: the Simplified-Chinese face inside Debian's NotoSansCJK-Regular.ttc
SC_INDEX = 2


def cjk_document(font: Path, title: str) -> FPDF:
    """An empty A4 document titled ``title`` with ``font`` embedded as ``FONT``."""
    if not font.is_file():
        raise XuejiError(
            f"未找到 PDF 中文字体 {font}：请安装 fonts-noto-cjk 或设置 XUEJI_PDF_FONT",
            code="PDF_FONT_MISSING",
        )
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(title)
    pdf.set_creator("xueji")
    face = SC_INDEX if font.suffix.lower() == ".ttc" else 0
    pdf.add_font(FONT, fname=str(font), collection_font_number=face)
    return pdf
