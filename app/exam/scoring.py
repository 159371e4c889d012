"""Scoring Part One on the server: raw score, percent, pass/fail, sub-scores per domain."""

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field

from app.models import Item


@dataclass
class McScore:
    """The outcome of a multiple-choice attempt."""

    score: int
    max_score: int
    percent: float
    passed: bool
    domains: dict[str, dict] = field(default_factory=dict)


def score_mc(items: list[Item], chosen: dict[int, str], pass_mark: float) -> McScore:
    """Score chosen option ids (by item id) against the key; omitted counts as wrong."""
    per_domain: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        right = chosen.get(item.id, "") == item.correct_option
        per_domain[item.domain][0] += right
        per_domain[item.domain][1] += 1
    score = sum(right for right, _ in per_domain.values())
    total = len(items)
    percent = round(100 * score / total, 2) if total else 0.0
    domains = {
        code: {"score": right, "max": n, "percent": round(100 * right / n, 1)}
        for code, (right, n) in sorted(per_domain.items())
    }
    return McScore(score, total, percent, percent >= pass_mark, domains)


def receipt_hash(attempt_id: int, recorded: dict[str, str], key: str | bytes) -> str:
    """The receipt code: an HMAC of the attempt and its recorded answers (by item key/version).

    Bound to the attempt, so two candidates who gave the same answers never share a code, and
    keyed, so nobody can compute a code for answers that were not recorded."""
    lines = "\n".join(f"{k}={v}" for k, v in sorted(recorded.items()))
    message = f"attempt={attempt_id}\n{lines}".encode()
    secret = key.encode() if isinstance(key, str) else key
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:16]
