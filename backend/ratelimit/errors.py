from __future__ import annotations

import math

from backend.errors import ServiceUnavailable, TooManyRequests


class RateLimited(TooManyRequests):
    def __init__(self, retry_after_s: int) -> None:
        wait = f"{retry_after_s} 秒" if retry_after_s < 60 else f"{math.ceil(retry_after_s / 60)} 分钟"
        super().__init__(f"操作太频繁，请 {wait}后再试", retry_after_s=retry_after_s)


class RateLimiterUnavailable(ServiceUnavailable):
    message = "登录服务暂时繁忙，请稍后再试"
