from sqlalchemy import select, text

from poll.db import db
from poll.members import member_by_token, personal_token, replace_token
from poll.models import Member
from tests.factories import make_network


def test_personal_links_are_unguessable_hashed_and_replaceable(app):
    with app.app_context():
        fx = make_network()
        token = fx.tokens["henrik"]
        member = db.session.scalar(select(Member).where(Member.key == "henrik"))
        assert len(member.token_salt) == 32  # 128 random bits
        assert len(token) >= 32
        assert personal_token(member) == token  # the app can show or mail it again
        # The database holds neither the token nor anything it can be read from.
        dump = " ".join(
            str(v) for row in db.session.execute(text("SELECT * FROM members")) for v in row
        )
        assert token not in dump
        assert member_by_token(token).key == "henrik"

        new = replace_token(member)
        db.session.commit()
        assert new != token
        assert member_by_token(token) is None
        assert member_by_token(new).key == "henrik"


def test_wrong_or_malformed_tokens_find_nobody(app, client):
    with app.app_context():
        fx = make_network()
        assert member_by_token("x" * 32) is None
        assert member_by_token("../../etc/passwd") is None
        assert member_by_token(fx.tokens["sara"][:-1] + "A") is None
    response = client.get("/m/" + "A" * 32)
    assert response.status_code == 404
    assert "personlige link er ikke gyldigt" in response.get_data(as_text=True)


def test_deactivated_members_links_stop_working(app):
    with app.app_context():
        fx = make_network()
        member = db.session.scalar(select(Member).where(Member.key == "maria"))
        member.active = False
        db.session.commit()
        assert member_by_token(fx.tokens["maria"]) is None


def test_a_new_secret_key_retires_links_and_init_demo_hands_out_working_ones(app):
    with app.app_context():
        fx = make_network()
        member = db.session.scalar(select(Member).where(Member.key == "henrik"))
        assert personal_token(member) == fx.tokens["henrik"]
        app.config["SECRET_KEY"] = "another-secret"
        # The old link still opens (its hash is stored), but the app cannot show it again.
        assert personal_token(member) is None
        assert member_by_token(fx.tokens["henrik"]).key == "henrik"


def test_init_demo_prints_working_links_even_after_a_key_change(app):
    from poll.demo import init_demo

    with app.app_context():
        first = init_demo()
        app.config["SECRET_KEY"] = "rotated"
        again = init_demo()
        for member, token in again.links:
            assert member_by_token(token).id == member.id
        assert {t for _m, t in first.links}.isdisjoint({t for _m, t in again.links})
