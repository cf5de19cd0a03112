"""Spreadsheet uploads every importer shares: reading CSV (UTF-8 or GBK) and XLSX into rows keyed
by column, Chinese or English headers, and writing CSV that Excel opens (reject reports)."""

from backend.tabular.errors import CellError, ImportFileInvalid
from backend.tabular.reading import Column, RawRow, cell_text, decode, header_index, read_table
from backend.tabular.writing import (
    CSV_MEDIA_TYPE,
    csv_bytes,
    csv_chunks,
    csv_download,
    csv_stream_download,
    rejects_csv,
)

__all__ = [
    "CSV_MEDIA_TYPE",
    "CellError",
    "Column",
    "ImportFileInvalid",
    "RawRow",
    "cell_text",
    "csv_bytes",
    "csv_chunks",
    "csv_download",
    "csv_stream_download",
    "decode",
    "header_index",
    "read_table",
    "rejects_csv",
]
