"""Tutor plugin for Sabaq: the notebook XBlock in Open edX, with its grader workers."""

from importlib.metadata import version

__version__ = version("tutor-contrib-sabaq")  # one source: the distribution's pyproject.toml
