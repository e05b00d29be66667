"""Sabaq grading engine: sandboxed, tamper-resistant nbgrader grading.

Importing the package is cheap; the engine lives in ``sabaq_grading.engine``.
"""

__version__ = "0.1.0"
