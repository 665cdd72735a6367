import re

from poll.db import db
from tests.factories import PASSWORD, make_network


def test_forms_without_a_csrf_token_are_refused_with_a_clear_message(app, strict):
    with app.app_context():
        fx = make_network()
    client = strict.test_client()
    refused = client.post("/tovholder/login", data={"email": fx.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert "sikkerhedstegn" in refused.get_data(as_text=True)

    page = client.get("/tovholder/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/tovholder/login", data={"email": fx.email, "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code in (302, 303)
    with strict.app_context():
        db.engine.dispose()
