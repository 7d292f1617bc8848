"""The simulated demo data set (示例数据（模拟）): a seeded, scenario-driven generator."""

from jinlin_analysis.demo.generator import DEMO_DIR, SCENARIO_PATH, generate_demo, simulate

__all__ = ["DEMO_DIR", "SCENARIO_PATH", "generate_demo", "simulate"]
