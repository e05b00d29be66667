"""Sabaq as an LTI 1.3 tool: the ``sabaq_notebook`` block served to Moodle, Canvas and other LMSs."""
