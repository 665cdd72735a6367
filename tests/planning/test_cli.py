import pytest
from sqlalchemy import select

from poll.db import db
from poll.models import Plan, Poll
from tests.factories import make_network
from tests.planning.test_plan_page import MEMBERS, answer_all


@pytest.fixture
def network(app):
    with app.app_context():
        fx = make_network(MEMBERS)
        answer_all(db.session.get(Poll, fx.poll_id))
    return fx


def test_plan_year_prints_progress_and_a_readable_plan_and_publishes(app, network):
    result = app.test_cli_runner().invoke(args=["plan-year", "test", "2027", "--publish"])
    assert result.exit_code == 0, result.output
    assert "5/5" in result.output  # the progress bar reached its end
    assert "Møde 1: " in result.output and "(uge " in result.output
    assert "10:00–15:00" in result.output
    assert "Planlægningsgruppe: " in result.output
    assert "Udgivet som version 1." in result.output
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        assert plan.status.value == "published"


def test_plan_year_in_english(app, network):
    result = app.test_cli_runner().invoke(args=["plan-year", "test", "2027", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "(week " in result.output and "Yes: 5" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan-year", "nowhere", "2027"], "intet netværk med navnet 'nowhere'"),
        (["plan-year", "test", "2031"], "ingen afstemning for 2031"),
        (["plan-year", "test", "year"], "YEAR"),
        (["plan-year", "test", "2027", "--time-limit", "0"], "--time-limit"),
    ],
)
def test_plan_year_refuses_bad_arguments_with_exit_2(app, network, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_plan_year_without_a_possible_plan_exits_1_with_the_explanation(app):
    with app.app_context():
        fx = make_network(MEMBERS)
        answer_all(db.session.get(Poll, fx.poll_id), only=MEMBERS[1:])
    result = app.test_cli_runner().invoke(args=["plan-year", "test", "2027"])
    assert result.exit_code == 1
    assert "Ingen plan er mulig" in result.output
    assert "Sara" in result.output
