"""Guided lessons: the lesson file model, the check evaluator, per-session progress, the headless checker."""
