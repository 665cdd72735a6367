"""python -m solver plan INSTANCE.json [-o FILE] [--time-limit S] [--workers N] [--lang da|en]

Exit 0 with a plan, 1 when no plan exists (the result, with its explanation, is still
written), 2 when the instance is malformed (one line on stderr, nothing else written).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from solver.i18n import LANGUAGES, Text
from solver.instance import InstanceError
from solver.options import SolveOptions
from solver.pipeline import solve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solver")
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="plan a year from a plan-instance/1 file")
    plan.add_argument("instance", type=Path)
    plan.add_argument("-o", "--output", type=Path, help="write the result here, not to stdout")
    plan.add_argument("--time-limit", type=float, metavar="S")
    plan.add_argument("--workers", type=int, default=2, metavar="N")
    plan.add_argument("--lang", choices=LANGUAGES, default="da")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.time_limit is not None and args.time_limit <= 0:
        parser.error("--time-limit must be positive")

    text = Text(args.lang)
    try:
        document = json.loads(args.instance.read_text(encoding="utf-8"))
    except OSError as e:
        print(f"{args.instance}: {e.strerror}", file=sys.stderr)
        return 2
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        print(f"$: not valid JSON ({e})", file=sys.stderr)
        return 2

    started = time.perf_counter()
    shown = [0]

    def progress(done: int, total: int, label: str) -> None:
        if done > shown[0]:  # a stage has ended: show it and the time so far
            shown[0] = done
            print(
                f"[{done}/{total}] {label}: {time.perf_counter() - started:.2f} s", file=sys.stderr
            )

    options = SolveOptions(args.time_limit, args.workers, language=args.lang, progress=progress)
    try:
        result = solve(document, options)
    except InstanceError as e:
        print(str(e), file=sys.stderr)
        return 2

    out = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        args.output.write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    print(summary(document, result, text), file=sys.stderr)
    return 1 if result["status"] == "infeasible" else 0


def summary(document: dict, result: dict, t: Text) -> str:
    """Per meeting: date, venue, attendance and role holders; then the explanation."""
    names = {p["id"]: p["name"] for p in document["participants"]}
    venues = {v["id"]: v["name"] for v in document["venues"]}
    meetings = {m["id"]: m["name"] for m in document["meetings"]}
    roles = {r["id"]: r["name"] for r in document["roles"]}
    lines = [
        t.gettext(
            "Status: {status} ({seconds:.2f} s)",
            status=result["status"],
            seconds=result["solve_seconds"],
        )
    ]
    for m in result["meetings"]:
        come = len(m["attendance"]["yes"]) + len(m["attendance"]["maybe"])
        lines.append(
            t.gettext(
                "{meeting}: {date}, {venue}: {come} of {total} can come ({yes} yes)",
                meeting=meetings[m["id"]],
                date=m["date"],
                venue=venues[m["venue"]],
                come=come,
                total=len(names),
                yes=len(m["attendance"]["yes"]),
            )
        )
        for rid, holders in m["roles"].items():
            if holders:
                lines.append(f"  {roles[rid]}: {t.names([names[p] for p in holders])}")
    lines += [f"- {sentence}" for sentence in result["explanation"]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
