"""The life-situation assistant "Geburt eines Kindes": rules as data, German calendar
arithmetic, and a planner that turns a few answers into dated steps (nothing is stored)."""

from .engine import Answers, Plan, Step, build_plan

__all__ = ["Answers", "Plan", "Step", "build_plan"]
