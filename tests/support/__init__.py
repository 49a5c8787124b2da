"""What tests import: plain helpers, classes and constants, grouped by subject.

Fixtures live in tests/fixtures/ and reach every test as plugins (tests/conftest.py lists them),
or in the conftest.py of the one directory that uses them; no test imports a fixture, and none
imports from a conftest.py or from another test module (tests/test_suite.py checks).
"""
