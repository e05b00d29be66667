"""Sabaq XBlock."""
