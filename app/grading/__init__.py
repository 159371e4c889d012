"""Blind grading of Part Two responses."""
