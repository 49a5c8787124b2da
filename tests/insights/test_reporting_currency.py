"""The reporting currency and its rates, from the environment (portal.config)."""

from decimal import Decimal

import pytest

from portal.config import ConfigError, base_settings, reporting_rates


def test_rates_are_read_as_decimals_per_currency():
    assert reporting_rates(" USD=7.10, eur=7.8 ,") == {
        "USD": Decimal("7.10"),
        "EUR": Decimal("7.8"),
    }
    assert reporting_rates("") == {}


@pytest.mark.parametrize("text", ["USD", "USD=", "USD=seven", "USD=0", "USD=-1", "US=7", "USD=nan"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ConfigError, match="REPORTING_RATES"):
        reporting_rates(text)


def test_the_environment_names_the_currency_and_rates(monkeypatch, tmp_path):
    monkeypatch.delenv("REPORTING_CURRENCY", raising=False)
    monkeypatch.delenv("REPORTING_RATES", raising=False)
    settings = base_settings(str(tmp_path))
    assert settings["REPORTING_CURRENCY"] == "CNY"
    assert settings["REPORTING_RATES"] == {"USD": Decimal("7.10")}
    monkeypatch.setenv("REPORTING_CURRENCY", "USD")
    monkeypatch.setenv("REPORTING_RATES", "CNY=0.1408")
    settings = base_settings(str(tmp_path))
    assert (settings["REPORTING_CURRENCY"], settings["REPORTING_RATES"]) == (
        "USD",
        {"CNY": Decimal("0.1408")},
    )
