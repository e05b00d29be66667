"""Sabaq grading engine."""
