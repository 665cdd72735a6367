import pytest

from tests.busy.servers import ics_server, radicale


@pytest.fixture(scope="session")
def caldav_server(tmp_path_factory):
    with radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server


@pytest.fixture
def web():
    with ics_server() as server:
        yield server
