"""Sabaq widgets."""
