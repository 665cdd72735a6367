"""GET /healthz: 200 when the instance can serve, 503 naming the check that failed.

No login and no personal data, so a load balancer or monitor can ask as often as it likes."""

from flask import Blueprint, jsonify

from ..auth import without_account
from ..health import OK, check_health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@without_account
def healthz():
    health = check_health()
    response = jsonify(health)
    response.status_code = 200 if health["status"] == OK else 503
    response.headers["Cache-Control"] = "no-store"
    return response
