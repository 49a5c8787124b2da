from tests.support.web import login


def test_a_buyer_signs_in_and_lands_on_their_account(client, two_accounts):
    response = login(client, "buyer@acme.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/a/acme/"
    page = client.get("/a/acme/")
    assert b"Acme Hospital Group" in page.data
    assert client.get("/a/globex/").status_code == 404
