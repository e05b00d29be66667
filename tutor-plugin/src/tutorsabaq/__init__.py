"""Tutor plugin for Sabaq."""
