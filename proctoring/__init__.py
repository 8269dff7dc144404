"""Proctoring and exam integrity: Safe Exam Browser keys (``seb``)."""
