from backend.errors import Conflict, NotFound, Unprocessable


class ImportFileInvalid(Unprocessable):
    message = "导入文件无法读取，请检查后重新上传"


class ImportNotFound(NotFound):
    message = "没有找到该导入记录"


class ImportCollided(Conflict):
    message = "导入期间有人登记了相同的农户或身份证号码，本次未导入任何数据，请重新导入"
