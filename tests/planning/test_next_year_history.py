"""Planning a poll made "ud fra sidste år" counts the roles of last year's published plan as
history, so the fairness carries over. Both engines."""

from collections import Counter

from werkzeug.datastructures import MultiDict

from tests.html_forms import form_fields, with_values
from tests.planning.test_plan_page import plans, solve


def test_the_next_years_planning_input_counts_last_years_published_roles(app, planned):
    client, fx = planned
    assert client.get("/tovholder/plan/2027/instance.json").get_json()["history"] == {}
    assert solve(client)["status"] == "done"
    assert client.post("/tovholder/plan/2027/publish", data={"version": "1"}).status_code == 303
    [published] = plans(app)
    held: Counter[tuple[str, str]] = Counter(
        (member, role)
        for meeting in published.result["meetings"]
        for role, holders in meeting["roles"].items()
        for member in holders
    )
    expected: dict[str, dict[str, int]] = {}
    for (member, role), count in held.items():
        expected.setdefault(member, {})[role] = count

    url = f"/tovholder/afstemninger/ny?fra={fx.poll_id}"
    fields = form_fields(client.get(url).get_data(as_text=True), "poll-form")
    assert dict(fields)["year"] == "2028"
    created = client.post(url, data=MultiDict(with_values(fields, {"action": "save"})))
    assert created.status_code == 303

    instance = client.get("/tovholder/plan/2028/instance.json").get_json()
    assert instance["year"] == 2028
    assert instance["meetings"][0]["candidates"][0] == "2028-02-28"  # Monday of week 9
    assert instance["history"] == expected
    # Five members, two meetings: 3 in the planning group, a leader, notes and a presenter each.
    assert sum(sum(roles.values()) for roles in instance["history"].values()) == 12
