"""Department data feeds (DOMAIN §7.1)."""

from __future__ import annotations

import enum


class FeedCode(enum.StrEnum):
    medical = "medical"  # 医保
    welfare = "welfare"  # 民政
    education = "education"  # 教育
    housing = "housing"  # 住建
    disability = "disability"  # 残联
    employment = "employment"  # 人社
    disaster = "disaster"  # 应急管理
    civil_registry = "civil_registry"  # 公安
    water = "water"  # 水利
    negative_list = "negative_list"  # 不动产, 车管, 财政, 市场监管, 银行
