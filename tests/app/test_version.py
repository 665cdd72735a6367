"""Every page's footer shows the version written once, in poll/version.py."""

import re

from poll.version import __version__
from tests.factories import log_in, make_network

FOOTER = re.compile(
    r"<footer class=\"site\"><small><a href=\"/privatliv\">[^<]+</a>"
    r" · <a href=\"/tilgaengelighed\">[^<]+</a> · Mødeplan ([^<]+)</small>"
)


def test_public_member_and_coordinator_pages_show_the_version_in_the_footer(app, client):
    with app.app_context():
        fx = make_network()
    pages = ["/tovholder/login", f"/m/{fx.tokens['henrik']}/{fx.year}"]
    log_in(client, fx)
    pages.append("/tovholder/")
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert FOOTER.findall(response.get_data(as_text=True)) == [__version__], path
    error = client.get("/ingen-side")
    assert error.status_code == 404
    assert FOOTER.findall(error.get_data(as_text=True)) == [__version__]
