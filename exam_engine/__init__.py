"""Exams, sittings, attempts, the answer log, the server clock and auto-grading."""
