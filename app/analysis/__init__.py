"""Exam analysis in pandas/numpy: items (CTT), rates (pass rates), raters; frames reads the DB."""
