"""`--clock-sample N` runs each date-sensitive test at N of CI's settings: each test meets
different instants and zones, and the tests between them meet every setting."""

from collections import Counter
from itertools import product

from tests.support.clocks import sampled

INSTANTS = ["00:30", "08:00", "15:59"]
ZONES = ["UTC", "Asia/Shanghai", "America/Chicago", "Pacific/Auckland"]
SETTINGS = list(product(INSTANTS, ZONES))
NAMES = [f"tests/test_{n}.py::test_{n}" for n in range(300)]


def test_each_test_gets_as_many_different_settings_as_asked():
    for name in NAMES:
        chosen = sampled(SETTINGS, 3, name)
        assert len(set(chosen)) == 3
        assert len({instant for instant, _ in chosen}) > 1
        assert len({zone for _, zone in chosen}) > 1


def test_the_tests_between_them_meet_every_setting_about_equally():
    met = Counter(setting for name in NAMES for setting in sampled(SETTINGS, 3, name))
    assert set(met) == set(SETTINGS)
    assert min(met.values()) > 300 * 3 / len(SETTINGS) / 2


def test_a_test_meets_the_same_settings_each_run_and_tests_differ():
    assert sampled(SETTINGS, 2, NAMES[7]) == sampled(SETTINGS, 2, NAMES[7])
    assert len({tuple(sampled(SETTINGS, 2, name)) for name in NAMES[:20]}) > 3
