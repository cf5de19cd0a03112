"""Registry rules without I/O: member validation and per-capita income."""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.pii import InvalidIdNumber, id_birth_date, id_sex, normalize_id_number
from schemas.base import ErrorDetail
from schemas.registry import IncomeSurvey, PersonCreate, Relation


class ValidMember(msgspec.Struct, frozen=True):
    person: PersonCreate
    id_number: str  # normalised 18 characters
    sex: str
    birth_date: dt.date


def validate_members(members: list[PersonCreate]) -> tuple[list[ValidMember], list[ErrorDetail]]:
    """Every member's ID number checked, exactly one head, no ID twice; errors name the field."""
    valid: list[ValidMember] = []
    errors: list[ErrorDetail] = []
    seen: set[str] = set()
    for i, member in enumerate(members):
        try:
            number = normalize_id_number(member.id_number)
        except InvalidIdNumber as exc:
            errors.append(ErrorDetail(field=f"members[{i}].id_number", reason=str(exc)))
            continue
        if number in seen:
            errors.append(ErrorDetail(field=f"members[{i}].id_number", reason="同一身份证号码重复出现"))
            continue
        seen.add(number)
        valid.append(ValidMember(member, number, id_sex(number), id_birth_date(number)))
    heads = sum(1 for m in members if m.relation is Relation.head)
    if heads != 1:
        errors.append(ErrorDetail(field="members", reason="每户必须有且只有一位户主"))
    return valid, errors


def per_capita_net_income_fen(survey: IncomeSurvey) -> int:
    """(all income − productive expenses − rigid expenses) / members, in fen (DOMAIN §3)."""
    income = survey.wage_fen + survey.business_fen + survey.property_fen + survey.transfer_fen
    expenses = (
        survey.productive_expense_fen
        + survey.medical_expense_fen
        + survey.education_expense_fen
        + survey.disaster_expense_fen
    )
    return (income - expenses) // survey.member_count
