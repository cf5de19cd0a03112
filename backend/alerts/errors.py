from backend.errors import NotFound, Unprocessable


class AlertNotFound(NotFound):
    message = "没有找到这条预警"


class AlertRuleNotFound(NotFound):
    message = "没有这条预警规则"


class RegionNotFound(NotFound):
    message = "没有找到该地区"


class ProvinceNotFound(Unprocessable):
    message = "阈值只能按省设置，所填的省份不存在"


class InvalidThreshold(Unprocessable):
    message = "阈值设置有误"
