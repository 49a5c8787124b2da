"""Password storage (SECURITY.md 4), rehashing (5) and the password policy (6).

The tests of storage and rehashing hash with the profile production gets
(`production_password_hashing`); the policy tests hash with the tests' cheapest profile."""

import re

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from werkzeug.security import generate_password_hash

from portal.accounts.models import User
from portal.auth import services
from portal.core.passwords import hash_password, hasher, password_problem, verify_password
from portal.extensions import db
from tests.support.auth import ARGON2_HASH, argon2_parameters
from tests.support.web import PASSWORD, login

#: OWASP's minimums, as SECURITY.md 4 states them.
ARGON2_MIN_TIME_COST = 2
ARGON2_MIN_MEMORY_KIB = 19456
SCRYPT_MIN_N = 2**17
WERKZEUG_SCRYPT = re.compile(r"^scrypt:(?P<n>\d+):(?P<r>\d+):(?P<p>\d+)\$")


def meets_storage_policy(password_hash: str) -> bool:
    """argon2id with t>=2 and m>=19456 KiB, or scrypt with N>=2^17; nothing else."""
    if ARGON2_HASH.match(password_hash):
        params = argon2_parameters(password_hash)
        return (
            params["type"] == "argon2id"
            and params["t"] >= ARGON2_MIN_TIME_COST
            and params["m"] >= ARGON2_MIN_MEMORY_KIB
        )
    scrypt = WERKZEUG_SCRYPT.match(password_hash)
    return bool(scrypt) and int(scrypt["n"]) >= SCRYPT_MIN_N


def stored_hash(user) -> str:
    return db.session.scalar(sa.select(User.password_hash).where(User.id == user.id))


# SECURITY.md 4: storage.


@pytest.mark.production_password_hashing
def test_new_password_hashes_are_argon2id_at_owasps_cost_or_more():
    # When a password is hashed
    password_hash = hash_password(PASSWORD)

    # Then it is argon2id with at least 2 passes over at least 19 MiB
    params = argon2_parameters(password_hash)
    assert params["type"] == "argon2id"
    assert params["v"] == 19
    assert params["t"] >= ARGON2_MIN_TIME_COST
    assert params["m"] >= ARGON2_MIN_MEMORY_KIB
    assert meets_storage_policy(password_hash)


@pytest.mark.production_password_hashing
def test_a_changed_password_is_stored_as_strong_argon2id(client, two_accounts):
    buyer = two_accounts["acme_buyer"]
    login(client, "buyer@acme.example")
    new = "walnut ferry under lanterns"

    response = client.post(
        "/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new}
    )

    assert response.status_code == 302
    assert meets_storage_policy(stored_hash(buyer))
    assert new not in stored_hash(buyer)


def test_the_storage_check_refuses_werkzeugs_default_scrypt_and_weak_argon2():
    # Werkzeug's default is scrypt with N=2^15: too little memory
    werkzeug_default = generate_password_hash("any password")
    assert werkzeug_default.startswith("scrypt:32768:")
    assert not meets_storage_policy(werkzeug_default)
    # argon2 below OWASP's cost, or not the id variant, fails too
    assert not meets_storage_policy(PasswordHasher(time_cost=1, memory_cost=19456).hash("x"))
    assert not meets_storage_policy(PasswordHasher(time_cost=2, memory_cost=8192).hash("x"))
    assert not meets_storage_policy(
        "$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
    )
    # while scrypt with N=2^17 passes (not computed here: it needs 128 MiB)
    assert meets_storage_policy("scrypt:131072:8:1$salt$" + "0" * 128)


# SECURITY.md 5: old hashes are upgraded.


@pytest.fixture
def old_hash_buyer(two_accounts):
    """A buyer whose hash was made with weaker, older parameters."""
    buyer = two_accounts["acme_buyer"]
    buyer.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(
        PASSWORD
    )
    db.session.commit()
    assert hasher().check_needs_rehash(buyer.password_hash)
    return buyer


@pytest.mark.production_password_hashing
def test_an_old_hash_is_upgraded_at_the_next_successful_sign_in(app, client, old_hash_buyer):
    old = stored_hash(old_hash_buyer)

    # When the buyer signs in
    assert login(client, "buyer@acme.example").status_code == 302

    # Then the stored hash has today's parameters and still matches the password
    new = stored_hash(old_hash_buyer)
    assert new != old
    assert not hasher().check_needs_rehash(new)
    assert meets_storage_policy(new)
    assert verify_password(new, PASSWORD)
    assert login(app.test_client(), "buyer@acme.example").status_code == 302


@pytest.mark.production_password_hashing
def test_a_failed_sign_in_leaves_an_old_hash_alone(client, old_hash_buyer):
    old = stored_hash(old_hash_buyer)

    login(client, "buyer@acme.example", "a wrong password")

    assert stored_hash(old_hash_buyer) == old


# SECURITY.md 6: the policy.


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("a" * 8, id="8 characters"),
        pytest.param("b" * 64, id="64 characters"),
        pytest.param("c" * 128, id="128 characters"),
        pytest.param("only lower case letters", id="no upper case, digits or symbols"),
        pytest.param("39481726354", id="digits only"),
        pytest.param("ÄÖÜ äöü ß ñ 中文密码", id="non-ASCII"),
    ],
)
def test_the_policy_accepts_long_passwords_without_composition_rules(request_context, password):
    assert password_problem(password) is None


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("seven77", id="7 characters"),
        pytest.param("", id="empty"),
        pytest.param("password123", id="common"),
        pytest.param("Password123", id="common, capitalised"),
        pytest.param("qwertyuiop", id="common keyboard walk"),
    ],
)
def test_the_policy_refuses_short_and_common_passwords(request_context, password):
    assert password_problem(password)


def test_passwords_are_neither_truncated_nor_case_folded():
    # Given a long password, hashed
    password = "the fourth of seven ferries leaves the northern pier at dusk, mostly" * 2
    password_hash = hash_password(password)

    # Then a password differing only after the 72nd character does not match
    assert len(password) > 72
    assert not verify_password(password_hash, password[:-1] + "!")
    assert not verify_password(password_hash, password[:72])
    # nor one differing only in case
    assert not verify_password(password_hash, password.upper())
    assert verify_password(password_hash, password)


def test_a_sixty_four_character_password_can_be_set_and_used(app, client, buyer):
    new = "Sixty-four characters of passphrase, typed or pasted: all kept.."
    assert len(new) == 64

    login(client, "buyer@acme.example")
    response = client.post(
        "/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new}
    )
    assert response.status_code == 302

    assert login(app.test_client(), "buyer@acme.example", new).status_code == 302
    assert login(app.test_client(), "buyer@acme.example", new.lower()).status_code == 200


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("seven77", b"Use at least 8 characters."),
        ("password123", b"This password is too common."),
    ],
)
def test_the_change_password_page_refuses_a_bad_password(client, buyer, new, message):
    old = stored_hash(buyer)
    login(client, "buyer@acme.example")

    response = client.post(
        "/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new}
    )

    assert response.status_code == 200
    assert message in response.data
    assert stored_hash(buyer) == old


def test_the_change_password_service_applies_the_policy(request_context, buyer):
    old = stored_hash(buyer)
    with pytest.raises(services.ServiceError, match="at least 8"):
        services.change_password(buyer, PASSWORD, "seven77")
    assert stored_hash(buyer) == old
