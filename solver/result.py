"""Build the plan-result/1 document."""

from __future__ import annotations

from solver.instance import RESULT_FORMAT, Instance
from solver.score import Plan


def plan_result(
    instance: Instance,
    plan: Plan,
    status: str,
    score: dict,
    seconds: float,
    explanations: dict[str, list[str]],
    language: str,
) -> dict:
    """`explanations`: the same sentences in every language; `explanation` is `language`'s."""
    start, end = instance.meeting_hours
    meetings = []
    for meeting, option, roles in zip(instance.meetings, plan.options, plan.roles, strict=True):
        answers: dict[str, list[str]] = {"yes": [], "maybe": [], "no": [], "no_answer": []}
        for p in sorted(p.id for p in instance.participants):
            answer = instance.answer(p, option.date, option.venue)
            answers[answer or "no_answer"].append(p)
        meetings.append(
            {
                "id": meeting.id,
                "date": option.date.isoformat(),
                "venue": option.venue,
                "start": start,
                "end": end,
                "attendance": answers,
                "roles": {role.id: list(roles[role.id]) for role in instance.roles},
            }
        )
    return {
        "format": RESULT_FORMAT,
        "status": status,
        "meetings": meetings,
        "score": score,
        "solve_seconds": round(seconds, 3),
        "explanation": explanations[language],
        "explanations": explanations,
    }


def infeasible_result(seconds: float, explanations: dict[str, list[str]], language: str) -> dict:
    return {
        "format": RESULT_FORMAT,
        "status": "infeasible",
        "meetings": [],
        "score": None,
        "solve_seconds": round(seconds, 3),
        "explanation": explanations[language],
        "explanations": explanations,
    }
