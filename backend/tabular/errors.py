"""The one refusal of a whole spreadsheet upload (header, encoding, size): nothing is recorded."""

from backend.errors import Unprocessable


class ImportFileInvalid(Unprocessable):
    message = "导入文件无法读取，请检查后重新上传"


class CellError(ValueError):
    """One cell cannot be read; its message is the reason in Chinese, for the reject report."""
