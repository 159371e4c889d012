"""Exam delivery: the candidate's pages and the proctor's console."""
