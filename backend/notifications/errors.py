from backend.errors import NotFound, Unprocessable


class NotificationNotFound(NotFound):
    message = "没有找到这条消息"


class TemplateNotFound(NotFound):
    message = "这个事件还没有设置消息模板"


class InvalidTemplateFields(Unprocessable):
    message = "消息模板字段设置有误，请检查"
