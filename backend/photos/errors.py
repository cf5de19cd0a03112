from typing import ClassVar

from backend.errors import BadRequest, Conflict, DomainError, Forbidden, NotFound, ServiceUnavailable, Unprocessable
from backend.ratelimit.errors import RateLimited
from backend.uploads import UploadErrors


class PhotoNotFound(NotFound):
    message = "没有找到这张照片"


class PhotoOwnerNotFound(NotFound):
    message = "没有找到要上传照片的对象"


class PhotoOwnerKindNotReady(Unprocessable):
    message = "这类照片暂时还不能上传"


class PhotoUploadNotAllowed(Forbidden):
    message = "您不能给这项内容上传照片"


class PhotoTooLarge(DomainError):
    status_code: ClassVar[int] = 413
    message = "照片太大了，请压缩后再上传"

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"照片太大了，请压缩后再上传（不超过 {max_bytes / 1024 / 1024:.0f}MB）")


class PhotoFormInvalid(BadRequest):
    message = "请用表单上传照片，照片放在 file 字段里"


class PhotoFileMissing(Unprocessable):
    message = "没有收到照片文件"


class PhotoFormatUnsupported(Unprocessable):
    message = "只能上传 JPEG、PNG、WebP 或 HEIC 格式的照片"


class PhotoDamaged(Unprocessable):
    message = "照片文件不完整或已损坏，请重新拍摄或选择"


class PhotoPixelsTooMany(Unprocessable):
    message = "照片像素太多，无法处理"


class PhotoLimitReached(Conflict):
    message = "照片数量已达上限，不能再上传"

    def __init__(self, limit: int) -> None:
        super().__init__(f"照片最多 {limit} 张，已达上限，不能再上传")


class PhotoLinkInvalid(Forbidden):
    message = "照片链接无效"


class PhotoLinkExpired(Forbidden):
    message = "照片链接已过期，请刷新后重新打开"


class PhotoStorageUnavailable(ServiceUnavailable):
    message = "照片存储暂时不可用，请稍后再试"


UPLOAD_ERRORS = UploadErrors(
    too_large=PhotoTooLarge,
    form_invalid=PhotoFormInvalid,
    file_missing=PhotoFileMissing,
    second_file="一次只能上传一张照片",
    unavailable=PhotoStorageUnavailable,
)

# What an upload can answer besides the shared statuses, for the OpenAPI document.
UPLOAD_REFUSALS = (
    RateLimited,
    PhotoFormInvalid,
    PhotoUploadNotAllowed,
    PhotoOwnerNotFound,
    PhotoNotFound,
    PhotoLimitReached,
    PhotoTooLarge,
    PhotoFileMissing,
    PhotoFormatUnsupported,
    PhotoDamaged,
    PhotoPixelsTooMany,
    PhotoOwnerKindNotReady,
    PhotoStorageUnavailable,
)
