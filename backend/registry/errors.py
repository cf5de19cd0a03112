from backend.errors import Conflict, Forbidden, NotFound, Unprocessable


class HouseholdNotFound(NotFound):
    message = "没有找到这户信息"


class VillageNotFound(Unprocessable):
    message = "所填的村不存在"


class VillageOutOfScope(Forbidden):
    message = "只能在您负责的地区内登记农户"


class InvalidMembers(Unprocessable):
    message = "家庭成员信息有误，请检查"


class HouseholdNoTaken(Conflict):
    message = "户编号已被使用"


class PersonAlreadyRegistered(Conflict):
    message = "该身份证号码已登记在其他家庭中"


class IdNumberInvalid(Unprocessable):
    """A search by an ID number that cannot be one (the household form reports members instead)."""

    message = "所填的身份证号码格式不正确"
