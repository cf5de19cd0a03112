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
