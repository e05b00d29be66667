"""The contract between Sabaq's LMS block and its graders (standard library only).

``report``    the grade report: its schema, its check, the report of a grading that failed
``signing``   HMAC signatures of the grader's callbacks to the block
``tasks``     task names and the payload of a grading task
``callbacks`` the messages a grader sends back (started, finished)
``states``    a submission's states and the transitions between them
``settings``  the deployment settings, with their defaults
``broker``    the Celery settings both ends of the queue use
``errors``    what each of them raises
"""

__version__ = "0.1.0"
