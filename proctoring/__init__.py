"""Proctoring and exam integrity: Safe Exam Browser keys (``seb``), a sitting's integrity
policy (``policies``), integrity events with their rate limit, tallies and flags
(``events``), and the retention purge (``retention``). See docs/proctoring.md."""
