import pytest

from backend.settings import SettingsError, load_settings


def test_wrong_value_names_the_variable(tmp_path) -> None:
    with pytest.raises(SettingsError) as excinfo:
        load_settings({"FANGPIN_PORT": "eighty", "FANGPIN_DATA_DIR": str(tmp_path)})
    assert "FANGPIN_PORT" in str(excinfo.value)


def test_bad_key_names_the_variable(tmp_path) -> None:
    with pytest.raises(SettingsError) as excinfo:
        load_settings({"FANGPIN_PII_KEY": "short", "FANGPIN_DATA_DIR": str(tmp_path)})
    assert "FANGPIN_PII_KEY" in str(excinfo.value)


def test_laptop_keys_are_generated_once_and_kept(tmp_path) -> None:
    first = load_settings({"FANGPIN_DATA_DIR": str(tmp_path)})
    second = load_settings({"FANGPIN_DATA_DIR": str(tmp_path)})
    assert first.pii_key == second.pii_key and len(first.key_bytes("pii_key")) == 32
    assert (tmp_path / "keys.json").stat().st_mode & 0o077 == 0


def test_rate_limits_come_as_json_and_a_bad_value_names_the_variable(tmp_path) -> None:
    from backend.ratelimit.rules import Action, limit_for

    settings = load_settings(
        {"FANGPIN_RATE_LIMITS": '[{"action": "order_submit", "per_account": 60, "per_address": 300, '
                                '"window_s": 600}]'},
        data_dir=str(tmp_path),
    )
    assert limit_for(Action.order_submit, settings.rate_limits).per_account == 60
    assert limit_for(Action.staff_login, settings.rate_limits).per_account == 10  # the default stays
    assert hash(settings)  # storage and token caches key on the settings
    with pytest.raises(SettingsError, match="FANGPIN_RATE_LIMITS"):
        load_settings({"FANGPIN_RATE_LIMITS": "order_submit=60"}, data_dir=str(tmp_path))
