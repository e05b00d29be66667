"""The contract between Sabaq's LMS block and its graders (standard library only)."""
