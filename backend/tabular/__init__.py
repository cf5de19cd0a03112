"""Spreadsheet uploads every importer shares: reading CSV (UTF-8 or GBK) and XLSX into rows keyed
by column, Chinese or English headers, and writing CSV that Excel opens (reject reports)."""

from backend.tabular.errors import ImportFileInvalid
from backend.tabular.reading import Column, RawRow, decode, read_table
from backend.tabular.writing import CSV_MEDIA_TYPE, csv_bytes, csv_download, rejects_csv

__all__ = [
    "CSV_MEDIA_TYPE",
    "Column",
    "ImportFileInvalid",
    "RawRow",
    "csv_bytes",
    "csv_download",
    "decode",
    "read_table",
    "rejects_csv",
]
