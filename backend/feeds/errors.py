from typing import ClassVar

from backend.errors import BadRequest, Conflict, DomainError, Forbidden, NotFound, ServiceUnavailable, Unprocessable
from backend.ratelimit.errors import RateLimited
from backend.uploads import UploadErrors


class FeedBatchNotFound(NotFound):
    message = "没有找到这批部门数据"


class FeedTypeNotAllowed(Forbidden):
    message = "您的账号还没有开通可上传的部门数据类型，请联系管理员"

    def __init__(self, label: str | None = None) -> None:
        super().__init__(f"您的账号不能上传「{label}」数据，请联系管理员开通" if label else None)


class FeedTypeUnknown(Unprocessable):
    message = "数据类型不对"

    def __init__(self, sent: str) -> None:
        super().__init__(
            f"数据类型「{sent}」不对，应为 medical、welfare、education、housing、disability、"
            "employment、disaster、civil_registry、water 或 negative_list 之一"
        )


class FeedPeriodInvalid(Unprocessable):
    def __init__(self, sent: str) -> None:
        super().__init__(f"数据月份「{sent}」写法不对，请写成“2026-10”这样的 年-月")


class FeedPeriodTooEarly(Unprocessable):
    def __init__(self, sent: str) -> None:
        super().__init__(f"数据月份 {sent} 太早了，只能比对 2014 年 1 月以后的数据")


class FeedPeriodInFuture(Unprocessable):
    def __init__(self, sent: str) -> None:
        super().__init__(f"数据月份 {sent} 还没有到，请检查月份")


class FeedRegionInvalid(Unprocessable):
    def __init__(self, sent: str) -> None:
        super().__init__(
            f"地区代码「{sent}」不对，应为 6 位县级代码或 12 位统计用区划代码"
            if sent
            else "请填写数据所属地区的代码（region_code）：6 位县级代码或 12 位统计用区划代码"
        )


class FeedRegionNotFound(Unprocessable):
    def __init__(self, code: str) -> None:
        super().__init__(f"地区代码 {code} 不在系统的区划表里")


class FeedRegionOutOfScope(Forbidden):
    def __init__(self, own_region: str) -> None:
        super().__init__(f"只能上传您所辖地区（{own_region}）内的数据")


class FeedSheetInvalid(Unprocessable):
    message = "工作表名称太长（Excel 的工作表名最多 31 个字）"


class FeedTooLarge(DomainError):
    status_code: ClassVar[int] = 413

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"文件太大了（不超过 {max_bytes / 1024 / 1024:.0f}MB），请按月或按乡镇分开上传")


class FeedFormInvalid(BadRequest):
    message = "请用表单上传：文件放在 file 字段，另填 feed（数据类型）和 period（月份，如 2026-10）"


class FeedFileMissing(Unprocessable):
    message = "没有收到文件，或文件是空的"


class FeedStorageUnavailable(ServiceUnavailable):
    message = "文件存储暂时不可用，请稍后重新上传"


class FeedBatchBusy(Conflict):
    def __init__(self, batch_id: int) -> None:
        super().__init__(f"第 {batch_id} 批数据正在由后台处理，请等它完成")


UPLOAD_ERRORS = UploadErrors(
    too_large=FeedTooLarge,
    form_invalid=FeedFormInvalid,
    file_missing=FeedFileMissing,
    second_file="一次只能上传一个文件",
    unavailable=FeedStorageUnavailable,
)

# What an upload can answer besides the shared statuses, for the OpenAPI document.
UPLOAD_REFUSALS = (
    RateLimited,
    FeedFormInvalid,
    FeedFileMissing,
    FeedTooLarge,
    FeedTypeUnknown,
    FeedTypeNotAllowed,
    FeedPeriodInvalid,
    FeedPeriodTooEarly,
    FeedPeriodInFuture,
    FeedRegionInvalid,
    FeedRegionNotFound,
    FeedRegionOutOfScope,
    FeedSheetInvalid,
    FeedStorageUnavailable,
)
