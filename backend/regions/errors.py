from backend.errors import Conflict, NotFound, Unprocessable


class RegionNotFound(NotFound):
    message = "没有找到该地区"


class InvalidRegionCode(Unprocessable):
    message = "地区代码不符合统计用区划代码规则"


class ParentRegionNotFound(Unprocessable):
    message = "上级地区不存在，请先添加上级地区"


class RegionExists(Conflict):
    message = "该地区代码已存在"


class CountyFlagsOnlyForCounties(Unprocessable):
    message = "只有县级地区可以设置脱贫县和重点帮扶县标识"
