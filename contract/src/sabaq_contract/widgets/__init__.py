"""What a widget host needs from Sabaq's lesson widgets, with no Jupyter installed.

The rules every host applies the same way (the widget in a kernel, the LMS block, the
course build and the grader): which models carry an answer key and how to strip it
(``keys``), how an answer is scored (``scoring``), attempt limits and what a verdict
reveals (``attempts``), each kind's synced traits and who may write them (``traits``),
and each kind's front-end code (``assets``). ``sabaq_widgets`` builds its widget classes
on these modules. Importing this package imports nothing else.
"""
