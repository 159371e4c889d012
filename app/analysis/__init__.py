"""Exam analysis with pandas/numpy: item statistics (items.py) and pass rates (rates.py)."""
