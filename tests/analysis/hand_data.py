"""Data set A, with every item statistic worked out by hand (shared by the API and CLI tests).

Data set A: 7 candidates x 5 items, options A-D. Q2 everyone gets right, Q3 nobody does;
omissions are written as "", NaN and None. Key: Q1 A, Q2 B, Q3 C, Q4 D, Q5 A.

        Q1  Q2  Q3   Q4    Q5    scores       total
    c1  A   B   A    D     B     1 1 0 1 0    3
    c2  A   B   A    D     A     1 1 0 1 1    4
    c3  A   B   D    C     A     1 1 0 0 1    3
    c4  B   B   A    A     A     0 1 0 0 1    2
    c5  ""  B   B    D     A     0 1 0 1 1    3
    c6  C   B   NaN  C     A     0 1 0 0 1    2
    c7  A   B   D    None  C     1 1 0 0 0    2

Totals T = [3, 4, 3, 2, 3, 2, 2]: sum 19, sum of squares 55. Group size round(0.27 * 7) =
round(1.89) = 2. Upper: c2 (4) takes one place; c1, c3, c5 tie on 3 for the one left, so each
weighs 1/3. Lower: c4, c6, c7 tie on 2 for both places, so each weighs 2/3. No attempt order
enters.

Below, "[XR]" means n*sum(XR) - sum(X)*sum(R) = n**2 * population covariance, "[XX]" the same
for a variance; with R = T - X the rest score. rpb = [XR] / sqrt([XX] * [RR]).
"""

import math

import numpy as np
import pandas as pd

NAN = float("nan")
KEY = {"Q1": "A", "Q2": "B", "Q3": "C", "Q4": "D", "Q5": "A"}


def data_set_a() -> pd.DataFrame:
    """The 7 x 5 responses above, object dtype, indexed by candidate id."""
    rows = {
        "c1": ["A", "B", "A", "D", "B"],
        "c2": ["A", "B", "A", "D", "A"],
        "c3": ["A", "B", "D", "C", "A"],
        "c4": ["B", "B", "A", "A", "A"],
        "c5": ["", "B", "B", "D", "A"],
        "c6": ["C", "B", np.nan, "C", "A"],
        "c7": ["A", "B", "D", None, "C"],
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(KEY), dtype=object)


# Q1: X = [1,1,1,0,0,0,1], R = [2,3,2,2,3,2,1]: sum X 4, sum R 15, sum XR 8, sum R^2 35.
#   [XR] = 7*8 - 4*15 = -4; [XX] = 7*4 - 16 = 12; [RR] = 7*35 - 225 = 20 -> rpb = -4/sqrt(240)
# Q2: X constant -> rpb NaN.  Q3: X constant (all 0) -> rpb NaN.
# Q4: X = [1,1,0,0,1,0,0], R = [2,3,3,2,2,2,2]: sums 3, 16, 7, 38.
#   [XR] = 49 - 48 = 1; [XX] = 21 - 9 = 12; [RR] = 266 - 256 = 10 -> rpb = 1/sqrt(120)
# Q5: X = [0,1,1,1,1,1,0], R = [3,3,2,1,2,1,2]: sums 5, 14, 9, 32.
#   [XR] = 63 - 70 = -7; [XX] = 35 - 25 = 10; [RR] = 224 - 196 = 28 -> rpb = -7/sqrt(280)
RPB = {
    "Q1": -4 / math.sqrt(240),
    "Q2": NAN,
    "Q3": NAN,
    "Q4": 1 / math.sqrt(120),
    "Q5": -7 / math.sqrt(280),
}

# p = correct / 7: Q1 4, Q2 7, Q3 0, Q4 3, Q5 5.
P = {"Q1": 4 / 7, "Q2": 1.0, "Q3": 0.0, "Q4": 3 / 7, "Q5": 5 / 7}

# d27 = (upper right - lower right) / 2, upper right = X[c2] + (X[c1] + X[c3] + X[c5]) / 3,
# lower right = 2/3 (X[c4] + X[c6] + X[c7]):
# Q1 (1 + 2/3 - 2/3)/2 = 1/2; Q2 (2 - 2)/2 = 0; Q3 0; Q4 (1 + 2/3 - 0)/2 = 5/6;
# Q5 (1 + 2/3 - 4/3)/2 = 1/6.
D27 = {"Q1": 0.5, "Q2": 0.0, "Q3": 0.0, "Q4": 5 / 6, "Q5": 1 / 6}

# KR-20 without item i, k' = 4: 4/3 * (1 - sum of the other items' [XX] / [RR_i]).
# [XX] per item: Q1 12, Q2 0, Q3 0, Q4 12, Q5 10 (sum 34).
# Q1: 4/3 (1 - 22/20) = -2/15; Q2 and Q3: rest = T - 1 or T, [RR] = 24 -> 4/3 (1 - 34/24) = -5/9;
# Q4: 4/3 (1 - 22/10) = -8/5; Q5: 4/3 (1 - 24/28) = 4/21.
ALPHA = {"Q1": -2 / 15, "Q2": -5 / 9, "Q3": -5 / 9, "Q4": -8 / 5, "Q5": 4 / 21}

# Counts of each choice out of 7 (omitted: "", NaN, None):
# Q1: A c1 c2 c3 c7, B c4, C c6, omitted c5.       Q2: B all.
# Q3: A c1 c2 c4, B c5, D c3 c7, omitted c6.        Q4: A c4, C c3 c6, D c1 c2 c5, omitted c7.
# Q5: A c2-c6, B c1, C c7.
SHARES = {  # A, B, C, D, omitted
    "Q1": [4, 1, 1, 0, 1],
    "Q2": [0, 7, 0, 0, 0],
    "Q3": [3, 1, 0, 2, 1],
    "Q4": [1, 0, 2, 3, 1],
    "Q5": [5, 1, 1, 0, 0],
}

# Flags with the default thresholds (hard p < .30, easy p > .95, low rpb < .15, negative < 0,
# a distractor needs 5 upper-group choosers to count):
# Q1 rpb -0.258: low and negative.  Q2 p = 1: easy; rpb NaN raises no rpb flag.
# Q3 p = 0: hard. Upper chooses A 1 + 1/3 = 4/3 times against 2/3 in the lower group, and
#    beats the key C (0) there, but 4/3 choosers are far under 5: no distractor flag.
# Q4 rpb 0.091: low only.  Q5 rpb -0.418: low and negative.
FLAGS = {
    "Q1": "low_rpb;negative_rpb",
    "Q2": "easy",
    "Q3": "hard",
    "Q4": "low_rpb",
    "Q5": "low_rpb;negative_rpb",
}
# With distractor_min_count 1: Q3's A (4/3 >= 1) attracts the upper group and is modal there;
# Q5's B has 1/3 upper choosers (c1): still nothing.
FLAGS_MIN_COUNT_1 = {**FLAGS, "Q3": "hard;distractor_attracts_upper;key_not_modal_in_upper"}

# mean 19/7; [TT] = 7*55 - 19**2 = 24, sd = sqrt(24)/7;
# kr20 = 5/4 (1 - 34/24) = -25/48; sem = sd * sqrt(1 + 25/48).
SUMMARY = {
    "n": 7,
    "items": 5,
    "mean": 19 / 7,
    "sd": math.sqrt(24) / 7,
    "kr20": -25 / 48,
    "sem": math.sqrt(24) / 7 * math.sqrt(73 / 48),
}

# The same answers as the files `report items` reads: a blank cell is an omission.
RESPONSES_CSV = """candidate_id,Q1,Q2,Q3,Q4,Q5
c1,A,B,A,D,B
c2,A,B,A,D,A
c3,A,B,D,C,A
c4,B,B,A,A,A
c5,,B,B,D,A
c6,C,B,,C,A
c7,A,B,D,,C
"""
KEY_CSV = "item_id,key\nQ5,A\nQ1,A\nQ2,B\nQ3,C\nQ4,D\n"  # not in column order, on purpose
