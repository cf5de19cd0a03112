"""Spreadsheet uploads every importer shares: reading CSV (UTF-8 or GBK) and XLSX into rows keyed
by column, Chinese or English headers, and writing CSV that Excel opens (reject reports)."""

from backend.tabular.errors import ImportFileInvalid
from backend.tabular.reading import Column, RawRow, decode, read_table
from backend.tabular.writing import csv_bytes, csv_chunks, csv_download, csv_stream_download, rejects_csv

__all__ = [
    "Column",
    "ImportFileInvalid",
    "RawRow",
    "csv_bytes",
    "csv_chunks",
    "csv_download",
    "csv_stream_download",
    "decode",
    "read_table",
    "rejects_csv",
]
