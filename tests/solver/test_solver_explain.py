"""Infeasible instances are explained by the rule families that clash, in words."""

from __future__ import annotations

from solver_cases import build
from test_solver_rules import PRESENTER, answers

from solver import SolveOptions, solve


def explain(doc: dict, language: str = "en") -> list[str]:
    result = solve(doc, SolveOptions(language=language))
    assert result["status"] == "infeasible"
    assert result["meetings"] == [] and result["score"] is None
    return result["explanation"]


def test_always_holder_who_cannot_come():
    doc = build()
    answers(doc, {"sara": {"2027-06-01": "no", "2027-06-02": "no"}})
    assert explain(doc) == [
        "Sara always has the role Planlægningsgruppe but cannot come to Møde 2 on any candidate "
        "date."
    ]
    assert explain(doc, "da") == [
        "Sara har altid rollen Planlægningsgruppe, men kan ikke komme til Møde 2 på nogen mulig "
        "dato."
    ]


def test_always_holder_who_may_not_hold_the_role():
    doc = build()
    doc["participants"][0]["cannot"] = ["planning"]
    assert explain(doc) == ["Sara always has the role Planlægningsgruppe but may not hold it."]


def test_pin_on_a_date_that_is_not_a_candidate():
    doc = build(pins=[{"meeting": "m2", "date": "2027-07-01"}])
    assert explain(doc) == [
        "Møde 2 is pinned to July 1, 2027, which is not one of its candidate dates."
    ]


def test_pinned_holder_who_cannot_come():
    doc = build(pins=[{"meeting": "m1", "role": "notes", "participant": "bo"}])
    answers(doc, {"bo": {"2027-03-01": "no", "2027-03-02": "no"}})
    assert explain(doc) == [
        "Bo is pinned to the role Referent at Møde 1 but cannot come on any of its candidate dates."
    ]


def test_two_pins_that_clash():
    doc = build(
        pins=[
            {"meeting": "m1", "role": "notes", "participant": "bo"},
            {"meeting": "m1", "role": "notes", "participant": "carl"},
            {"meeting": "m2", "venue": "vejle"},
        ]
    )
    assert explain(doc) == [
        "Møde 1 needs 1 person with the role Referent.",
        "Bo is pinned to the role Referent at Møde 1.",
        "Carl is pinned to the role Referent at Møde 1.",
    ]


def test_spacing_that_the_windows_cannot_meet():
    doc = build(
        roles=PRESENTER, meetings={"m1": ["2027-03-01", "2027-03-02"], "m2": ["2027-03-20"]}
    )
    sentences = explain(doc)
    assert (
        "Møde 2 must fall at least 28 days after Møde 1, but the latest candidate date of Møde 1 "
        "is March 2, 2027 and the earliest of Møde 2 is March 20, 2027." in sentences
    )
    assert len(sentences) == 3  # both windows and the spacing
    assert all("Møde" in s for s in sentences)


def test_attendance_floor_out_of_reach():
    doc = build(roles=PRESENTER)
    doc["rules"]["min_attendance"] = 1
    answers(doc, {"dina": {"2027-03-01": "no"}, "carl": {"2027-03-02": "no"}})
    assert explain(doc) == [
        "At least 5 of the 5 members must be able to come to Møde 1, but on no candidate date and "
        "venue can more than 4 come."
    ]


def test_too_few_people_for_a_role():
    doc = build(
        people=["sara", "anna"],
        roles=[
            {"id": "hosts", "name": "Værter", "per_meeting": 3},
        ],
    )
    assert explain(doc) == [
        "Møde 1 needs 3 people with the role Værter, but on no candidate date can more than 2 who "
        "may hold it come."
    ]


def test_what_a_plan_gives_up():
    doc = build()
    answers(doc, {"dina": {"2027-03-01": "no", "2027-03-02": "no"}})
    answers(doc, {"anna": {"2027-06-01": "maybe", "2027-06-02": "maybe"}})
    doc["pins"] = [
        {"meeting": "m2", "role": "notes", "participant": "anna"},
        {"meeting": "m1", "role": "notes", "participant": "anna"},
    ]
    result = solve(doc, SolveOptions(language="en"))
    assert result["status"] == "optimal"
    day = int(result["meetings"][0]["date"][-2:])
    venue = result["meetings"][0]["venue"].capitalize()
    assert result["explanation"][0] == f"Møde 1 (March {day}, 2027, {venue}): Dina cannot come."
    assert "Anna has the role Referent at both Møde 1 and Møde 2." in result["explanation"]
    assert (
        "Anna has the role Referent at Møde 2 but answered only “if need be”."
        in (result["explanation"])
    )


def test_the_sentences_come_in_every_language_whatever_the_language_asked():
    doc = build()
    answers(doc, {"dina": {"2027-03-01": "no", "2027-03-02": "no"}})
    result = solve(doc, SolveOptions(language="da"))
    day = int(result["meetings"][0]["date"][-2:])
    venue = result["meetings"][0]["venue"].capitalize()
    assert result["explanations"]["en"][0] == (
        f"Møde 1 (March {day}, 2027, {venue}): Dina cannot come."
    )
    assert result["explanations"]["da"][0] == (
        f"Møde 1 ({day}. marts 2027, {venue}): Dina kan ikke komme."
    )
    assert result["explanation"] == result["explanations"]["da"]


def test_an_impossible_plan_is_explained_in_every_language():
    doc = build()
    answers(doc, {"sara": {"2027-06-01": "no", "2027-06-02": "no"}})
    result = solve(doc, SolveOptions(language="en"))
    assert result["explanations"] == {
        "en": [
            "Sara always has the role Planlægningsgruppe but cannot come to Møde 2 on any "
            "candidate date."
        ],
        "da": [
            "Sara har altid rollen Planlægningsgruppe, men kan ikke komme til Møde 2 på nogen "
            "mulig dato."
        ],
    }
    assert result["explanation"] == result["explanations"]["en"]
