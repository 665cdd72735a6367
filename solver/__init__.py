"""Mødeplan's planning engine: plan-instance/1 in, plan-result/1 out (docs/spec/plan-format.md).

Pure Python on OR-Tools CP-SAT; nothing here knows about Flask or the database.
"""

from solver.instance import InstanceError, parse_instance
from solver.options import SolveOptions, Stop, Stopped
from solver.pipeline import solve

__all__ = ["InstanceError", "SolveOptions", "Stop", "Stopped", "parse_instance", "solve"]
