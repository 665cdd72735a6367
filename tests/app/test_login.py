from tests.factories import PASSWORD, make_network


def test_wrong_password_is_refused_and_nothing_opens(app, client):
    with app.app_context():
        fx = make_network()
    refused = client.post("/tovholder/login", data={"email": fx.email, "password": "forkert"})
    assert refused.status_code == 401
    assert "Forkert e-mail eller adgangskode" in refused.get_data(as_text=True)
    assert client.get("/tovholder/").status_code == 302


def test_empty_fields_are_named(app, client):
    response = client.post("/tovholder/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "E-mail: udfyld din e-mailadresse." in page
    assert "Adgangskode: udfyld din adgangskode." in page


def test_login_attempts_are_rate_limited(app, client):
    with app.app_context():
        fx = make_network()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/tovholder/login", data={"email": fx.email, "password": "gæt"})
    # Even the right password waits now.
    blocked = client.post("/tovholder/login", data={"email": fx.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "For mange mislykkede forsøg" in blocked.get_data(as_text=True)
    assert client.get("/tovholder/").status_code == 302


def test_login_returns_to_the_page_asked_for_but_never_off_site(app, client):
    with app.app_context():
        fx = make_network()
    asked = client.get("/tovholder/roller")
    assert asked.status_code == 302 and "next=" in asked.headers["Location"]
    back = client.post(
        "/tovholder/login?next=/tovholder/roller", data={"email": fx.email, "password": PASSWORD}
    )
    assert back.headers["Location"].endswith("/tovholder/roller")
    client.post("/tovholder/logout")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            f"/tovholder/login?next={target}", data={"email": fx.email, "password": PASSWORD}
        )
        assert response.headers["Location"].endswith("/tovholder/")
        client.post("/tovholder/logout")


def test_logout_ends_the_session(app, client):
    with app.app_context():
        fx = make_network()
    client.post("/tovholder/login", data={"email": fx.email, "password": PASSWORD})
    assert client.get("/tovholder/").status_code == 200
    assert client.post("/tovholder/logout").status_code == 302
    assert client.get("/tovholder/").status_code == 302
