"""Code that runs inside the sandbox: the zygote, the per-submission child and the wire format.

Only the standard library and IPython may be imported here: this package is bind-mounted
read-only into the sandbox on its own, without the rest of ``sabaq_grading``.
"""
