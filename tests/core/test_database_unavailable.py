"""While the database cannot be reached, a request gets a 503 that asks to retry, with its
request id and Retry-After, and no traceback; its page reads nothing from the database (who is
signed in could not be loaded either). tests/deployment/test_faults.py shows the same
against a real PostgreSQL restarted under load."""

import sqlite3

import psycopg
import pytest
import sqlalchemy as sa

from portal import create_app
from portal.core.outages import is_database_unavailable
from portal.core.permissions import public
from portal.extensions import db
from tests import factories
from tests.support.environment import free_port
from tests.support.web import make_config, signed_in

#: What the error of an unreachable server says; none of it may reach the page.
LEAKS = ("Traceback", "OperationalError", "psycopg", "Connection refused", "127.0.0.1", 'File "')


#: Tests on `unreachable`: outside the test transaction, whose session would reach the test
#: database instead.
UNREACHABLE = pytest.mark.no_transaction


@pytest.fixture(scope="module")
def unreachable():
    """The portal on a PostgreSQL server that is not there: every query fails to connect."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/portal"
    app = create_app(make_config(url, TESTING=False))
    yield app
    with app.app_context():
        db.engine.dispose()


def assert_unavailable_page(response):
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert "The service is briefly unavailable" in page
    assert response.headers["X-Request-ID"] in page
    for leak in LEAKS:
        assert leak not in page


@UNREACHABLE
def test_a_signed_in_users_page_is_a_503_when_loading_the_user_fails(unreachable):
    client = unreachable.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "a-session-token"  # resuming it is the request's first query
        session["_fresh"] = True
    response = client.get("/a/acme/catalog")
    assert_unavailable_page(response)
    assert "Sign out" not in response.get_data(as_text=True)


@UNREACHABLE
def test_an_anonymous_visitors_account_page_is_a_503(unreachable):
    assert_unavailable_page(unreachable.test_client().get("/a/acme/"))


@UNREACHABLE
def test_an_api_call_is_a_problem_document_with_the_request_id(unreachable):
    response = unreachable.test_client().get(
        "/api/v1/me", headers={"Authorization": "Bearer kap_not-checked-without-a-database"}
    )
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["status"] == 503
    assert body["request_id"] == response.headers["X-Request-ID"]
    for leak in LEAKS:
        assert leak not in response.get_data(as_text=True)


@UNREACHABLE
def test_readiness_says_the_database_is_unavailable(unreachable):
    response = unreachable.test_client().get("/readyz")
    assert response.status_code == 503


@UNREACHABLE
def test_the_page_is_in_the_browsers_language(unreachable):
    response = unreachable.test_client().get("/a/acme/", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 503
    assert 'lang="zh-Hans"' in response.get_data(as_text=True)


# A connection that drops mid-request, while the server is up: the page reads nothing either.

DROPPED = "/test-only/dropped"


@pytest.fixture(scope="module")
def web(app):
    """A second app on the test database, run as production runs it, with a route that meets
    a dropped connection and then counts the statements the error page issues."""
    web = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], TESTING=False))
    web.statements_after_the_error = []

    @public
    def dropped():
        engine = sa.engine.Engine  # every engine's: the test's connection is another app's

        def count(conn, cursor, statement, *args):
            if "SAVEPOINT" not in statement:  # the rollback, in the test's transaction
                web.statements_after_the_error.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        web.stop_counting = lambda: sa.event.remove(engine, "before_cursor_execute", count)
        raise sa.exc.OperationalError(
            "SELECT 1", {}, psycopg.OperationalError("server closed the connection"), True
        )

    web.add_url_rule(DROPPED, view_func=dropped)
    return web


def test_a_dropped_connection_gives_a_503_whose_page_issues_no_statement(web):
    client = signed_in(web, factories.UserFactory().email)
    try:
        response = client.get(DROPPED)
    finally:
        web.stop_counting()
    assert_unavailable_page(response)
    assert web.statements_after_the_error == []


# Which errors count as the database being unavailable


def wrapped(orig, invalidated=False):
    return sa.exc.DBAPIError.instance(
        "SELECT 1", {}, orig, Exception, connection_invalidated=invalidated
    )


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (wrapped(psycopg.OperationalError("connection refused")), True),
        (wrapped(psycopg.errors.AdminShutdown("terminating connection")), True),
        (wrapped(psycopg.InterfaceError("the connection is closed")), True),
        (wrapped(psycopg.DatabaseError("server closed the connection"), invalidated=True), True),
        (psycopg.OperationalError("raised by the driver itself"), True),
        (sa.exc.TimeoutError("QueuePool limit reached"), True),
        (wrapped(sqlite3.OperationalError("database is locked")), True),
        (wrapped(sqlite3.OperationalError("no such table: orders")), False),
        (wrapped(psycopg.errors.UniqueViolation("duplicate key")), False),
        (wrapped(psycopg.errors.UndefinedTable("relation does not exist")), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_which_errors_mean_the_database_is_unavailable(error, unavailable):
    assert is_database_unavailable(error) is unavailable


def test_an_answer_survives_a_rollback_the_departing_database_refuses(web, monkeypatch):
    """The database shuts down while the request ends: the ROLLBACK that ends its session
    fails. The answer already made goes out; the server's bare 500 would replace it."""

    def refuse(session):
        shutdown = psycopg.errors.AdminShutdown(
            "terminating connection due to administrator command"
        )
        raise sa.exc.OperationalError("ROLLBACK", {}, shutdown)

    monkeypatch.setattr(sa.orm.Session, "close", refuse)
    answer = web.test_client().get("/healthz")
    assert answer.status_code == 200


def test_a_rollback_that_fails_for_another_reason_is_still_an_error(web, monkeypatch):
    def refuse(session):
        raise sa.exc.ProgrammingError("ROLLBACK", {}, psycopg.errors.SyntaxError("no"))

    monkeypatch.setattr(sa.orm.Session, "close", refuse)
    with pytest.raises(sa.exc.ProgrammingError):
        web.test_client().get("/healthz")
