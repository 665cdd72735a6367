from flask_migrate import check


def test_upgrade_to_head_leaves_no_pending_autogenerate_difference(app):
    # The app fixture upgraded an empty database to head; `check` raises on any difference.
    with app.app_context():
        check()
