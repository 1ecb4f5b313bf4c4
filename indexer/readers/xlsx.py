"""XLSX with ``python-calamine`` (Rust, reads only): each sheet's cells as tab-separated rows;
``pages`` are where the sheets start.

Imports ``readers``.
"""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from indexer.readers import Extracted, checked_zip, from_pages


def read(path: Path) -> Extracted:
    checked_zip(path, "XLSX").close()
    workbook = CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=True)
        lines = ("\t".join(_cell(value) for value in row).strip() for row in rows)
        sheets.append(f"{name}\n" + "\n".join(line for line in lines if line))
    return from_pages(sheets)


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # calamine reads every number as a float: 2024, not 2024.0
    return "" if value is None else str(value)
