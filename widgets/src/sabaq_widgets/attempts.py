"""Attempt limits and what a verdict reveals, for code in kernels that imports them from here.

The rule is defined once, with the standard library only, in
``sabaq_contract.widgets.attempts`` (and the scorer's traits in
``sabaq_contract.widgets.traits``); these are the same objects.
"""

from __future__ import annotations

from sabaq_contract.widgets.attempts import AFTER_CORRECT_OR_EXHAUSTED, REVEAL_POLICIES, Rules, check, verdict
from sabaq_contract.widgets.traits import SERVER_OWNED_TRAITS

__all__ = ["AFTER_CORRECT_OR_EXHAUSTED", "REVEAL_POLICIES", "SERVER_OWNED_TRAITS", "Rules", "check", "verdict"]
