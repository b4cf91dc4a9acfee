"""A spreadsheet of text cells written straight as SpreadsheetML, a block of rows at a time.

openpyxl, even in write-only mode, builds a cell object and an XML element for every cell:
20–25 µs a cell on our machine, lxml or not, so about a minute for 100 000 registrations
(1.3 million cells). A sheet of plain text needs none of that: each row is formatted as
one string, and the package around it is the few fixed parts a workbook needs (those that
openpyxl writes, less the theme and the document properties). Strings are stored inline,
as openpyxl's write-only mode stores them, so nothing grows with the rows. The tests read
the files back with openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from typing import IO
from xml.sax.saxutils import quoteattr

from openpyxl.utils import get_column_letter

# Characters that XML 1.0 forbids: a file holding one does not open. openpyxl refuses them
# (the same set); here they are dropped.
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Not allowed in a sheet's name by Excel.
SHEET_NAME_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")
# Rows formatted before they go to the compressor: a few hundred kB of XML.
BLOCK_ROWS = 200

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DOCUMENT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = (
    DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{DOCUMENT}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{DOCUMENT}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{DOCUMENT}.styles+xml"/>'
    "</Types>"
)
PACKAGE_RELATIONSHIPS = (
    DECLARATION + f'<Relationships xmlns="{RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{OFFICE_RELATIONSHIPS}/officeDocument" '
    'Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELATIONSHIPS = (
    DECLARATION + f'<Relationships xmlns="{RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{OFFICE_RELATIONSHIPS}/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{OFFICE_RELATIONSHIPS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# The smallest stylesheet Excel accepts: one font, the two fills it requires, one border,
# one cell format.
STYLES = (
    DECLARATION + f'<styleSheet xmlns="{MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _workbook(sheet_name: str) -> str:
    return (
        DECLARATION + f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE_RELATIONSHIPS}">'
        f'<sheets><sheet name={quoteattr(sheet_name)} sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def _row(number: int, values: list[str], columns: list[str]) -> str:
    cells = []
    for column, value in zip(columns, values, strict=False):
        if not value:
            continue  # an empty cell is simply left out
        # What xml.sax.saxutils.escape does, without its function call per cell.
        text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if value[0].isspace() or value[-1].isspace():
            # Without xml:space a reader may drop leading and trailing blanks.
            text_element = f'<t xml:space="preserve">{text}</t>'
        else:
            text_element = f"<t>{text}</t>"
        cells.append(f'<c r="{column}{number}" t="inlineStr"><is>{text_element}</is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def write_xlsx(rows: Iterable[list[str]], handle: IO[bytes], *, sheet_name: str) -> None:
    """Write `rows` (lists of strings; the first is the header) as the one sheet of an
    XLSX workbook into the binary file `handle`, holding one block of rows at a time."""
    sheet_name = SHEET_NAME_FORBIDDEN.sub("", sheet_name)[:31] or "Sheet1"
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", PACKAGE_RELATIONSHIPS)
        package.writestr("xl/workbook.xml", _workbook(sheet_name))
        package.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELATIONSHIPS)
        package.writestr("xl/styles.xml", STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'{DECLARATION}<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            columns: list[str] = []
            block: list[str] = []
            for number, values in enumerate(rows, start=1):
                if len(values) > len(columns):
                    columns = [get_column_letter(i) for i in range(1, len(values) + 1)]
                block.append(_row(number, values, columns))
                if len(block) == BLOCK_ROWS:
                    sheet.write(_block_bytes(block))
                    block.clear()
            sheet.write(_block_bytes(block))
            sheet.write(b"</sheetData></worksheet>")


def _block_bytes(block: list[str]) -> bytes:
    # The markup holds no control characters, so cleaning the whole block at once is the
    # same as cleaning each value, and much cheaper.
    return ILLEGAL_CHARACTERS.sub("", "".join(block)).encode()
