from backend.errors import Conflict, NotFound
from backend.tabular import ImportFileInvalid

__all__ = ["ImportCollided", "ImportFileInvalid", "ImportNotFound"]


class ImportNotFound(NotFound):
    message = "没有找到该导入记录"


class ImportCollided(Conflict):
    message = "导入期间有人登记了相同的农户或身份证号码，本次未导入任何数据，请重新导入"
