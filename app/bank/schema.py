"""The bank file format: what each record must hold, checked field by field."""

import re
from dataclasses import dataclass
from typing import Any

from app.codes import DOMAINS, ENDORSEMENTS, TRACKS, VIGNETTE_KINDS

KEY_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
OPTION_ID_PATTERN = re.compile(r"^[a-z]$")
PASS_RULE_KINDS = {"total_and_floor": ("min_total_percent", "min_level")}
RESOLUTION_KINDS = ("adjacent_mean",)
#: on a pass/fail split the lead grader re-rates the disputed criteria only, or all of them
ADJUDICATION_POLICIES = ("disputed", "all")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a bank file, named precisely."""

    file: str
    key: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.field}: {self.message}"


# field -> (python type(s), required); bool is checked before int because bool is an int
FIELDS: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "item": {
        "key": (str, True),
        "endorsement": (str, True),
        "domain": (str, True),
        "stem": (str, True),
        "options": (list, True),
        "correct": (str, True),
        "rationale": (str, False),
        "sample": (bool, False),
    },
    "vignette": {
        "key": (str, True),
        "title": (str, True),
        "tracks": (list, True),
        "kind": (str, True),
        "text": (str, True),
        "prompt": (str, True),
        "sample": (bool, False),
    },
    "rubric": {
        "key": (str, True),
        "title": (str, True),
        "tracks": (list, True),
        "pass_rule": (dict, True),
        "resolution": (dict, False),
        "criterion": (list, True),
        "sample": (bool, False),
    },
    "form": {
        "code": (str, True),
        "title": (str, True),
        "endorsement": (str, True),
        "part": (str, True),
        "duration_minutes": (int, True),
        "pass_mark": ((int, float), False),
        "item_count": (int, False),
        "shuffle_items": (bool, False),
        "shuffle_options": (bool, False),
        "items": (list, False),
        "track": (str, False),
        "vignettes": (list, False),
        "answer_count": (int, False),
        "rubric": (str, False),
        "sample": (bool, False),
    },
}
#: longest text allowed per field (characters): a bank is authored, not pasted from a dump
MAX_LENGTHS = {
    "stem": 5_000,
    "option": 1_000,
    "rationale": 5_000,
    "text": 20_000,
    "prompt": 2_000,
    "title": 200,
    "descriptor": 2_000,
    "label": 200,
    "guidance": 2_000,
}
TYPE_NAMES = {
    str: "a string",
    list: "an array",
    dict: "a table",
    int: "an integer",
    bool: "true or false",
    (int, float): "a number",
}


def record_key(kind: str, record: dict) -> str:
    """The record's identifying key, or a placeholder when it has none."""
    value = record.get("code" if kind == "form" else "key")
    return value if isinstance(value, str) and value else "(no key)"


def too_long(kind_of_text: str, value: Any) -> str | None:
    """The size problem of a text field, naming its limit, or None."""
    limit = MAX_LENGTHS.get(kind_of_text)
    if limit is None or not isinstance(value, str) or len(value) <= limit:
        return None
    return f"is {len(value):,} characters; at most {limit:,} are allowed"


def _is_type(value: Any, expected) -> bool:
    if isinstance(value, bool) and expected is not bool:
        return False
    return isinstance(value, expected)


def check_fields(kind: str, record: dict, file: str) -> list[Problem]:
    """Unknown fields, missing required fields, wrong types, bad keys, empty text."""
    key = record_key(kind, record)
    spec = FIELDS[kind]
    problems = [Problem(file, key, name, "unknown field") for name in record if name not in spec]
    for name, (expected, required) in spec.items():
        if name not in record:
            if required:
                problems.append(Problem(file, key, name, "is required"))
            continue
        value = record[name]
        if not _is_type(value, expected):
            problems.append(Problem(file, key, name, f"must be {TYPE_NAMES[expected]}"))
        elif isinstance(value, str) and not value.strip():
            problems.append(Problem(file, key, name, "must not be empty"))
        elif isinstance(value, str) and (problem := too_long(name, value)):
            problems.append(Problem(file, key, name, problem))
    id_field = "code" if kind == "form" else "key"
    if isinstance(record.get(id_field), str) and not KEY_PATTERN.match(record[id_field]):
        problems.append(
            Problem(file, key, id_field, "use 2-40 capital letters, digits, '-' or '_'")
        )
    return problems


def check_item(record: dict, file: str) -> list[Problem]:
    """Item rules: endorsement, domain, 3-5 options with unique ids, the key among them."""
    key = record_key("item", record)
    out = []
    if record.get("endorsement") not in (*ENDORSEMENTS, "BOTH"):
        out.append(Problem(file, key, "endorsement", "must be IMH, ECMH or BOTH"))
    if record.get("domain") not in DOMAINS:
        out.append(
            Problem(file, key, "domain", f"unknown domain code; use one of {' '.join(DOMAINS)}")
        )
    options = record.get("options")
    if not isinstance(options, list):
        return out
    if not 3 <= len(options) <= 5:
        out.append(Problem(file, key, "options", f"needs 3 to 5 options, has {len(options)}"))
    ids = []
    for n, option in enumerate(options, 1):
        where = f"options[{n}]"
        if not isinstance(option, dict) or set(option) != {"id", "text"}:
            out.append(Problem(file, key, where, "must be a table with exactly id and text"))
            continue
        if not isinstance(option["id"], str) or not OPTION_ID_PATTERN.match(option["id"]):
            out.append(Problem(file, key, f"{where}.id", "must be one lower-case letter"))
        elif option["id"] in ids:
            out.append(Problem(file, key, f"{where}.id", f"duplicate option id {option['id']!r}"))
        ids.append(option["id"])
        if not isinstance(option["text"], str) or not option["text"].strip():
            out.append(Problem(file, key, f"{where}.text", "must be non-empty text"))
        elif problem := too_long("option", option["text"]):
            out.append(Problem(file, key, f"{where}.text", problem))
    correct = record.get("correct")
    if isinstance(correct, str) and correct not in ids:
        out.append(Problem(file, key, "correct", f"{correct!r} is not one of the option ids"))
    return out


def _check_tracks(kind: str, record: dict, file: str) -> list[Problem]:
    tracks = record.get("tracks")
    key = record_key(kind, record)
    if not isinstance(tracks, list):
        return []
    if not tracks:
        return [Problem(file, key, "tracks", "needs at least one track")]
    return [Problem(file, key, "tracks", f"unknown track {t!r}") for t in tracks if t not in TRACKS]


def check_vignette(record: dict, file: str) -> list[Problem]:
    """Vignette rules: known tracks and kind."""
    out = _check_tracks("vignette", record, file)
    if record.get("kind") not in VIGNETTE_KINDS:
        out.append(
            Problem(
                file,
                record_key("vignette", record),
                "kind",
                f"must be one of {', '.join(VIGNETTE_KINDS)}",
            )
        )
    return out


def _check_levels(file: str, key: str, where: str, levels: Any) -> list[Problem]:
    if not isinstance(levels, list) or len(levels) < 2:
        return [Problem(file, key, f"{where}.levels", "needs at least two levels")]
    out, last = [], None
    for n, level in enumerate(levels, 1):
        if not isinstance(level, dict) or set(level) != {"score", "label", "descriptor"}:
            out.append(
                Problem(
                    file,
                    key,
                    f"{where}.levels[{n}]",
                    "must be a table with exactly score, label and descriptor",
                )
            )
            continue
        for name in ("label", "descriptor"):
            if problem := too_long(name, level[name]):
                out.append(Problem(file, key, f"{where}.levels[{n}].{name}", problem))
        score = level["score"]
        if not _is_type(score, int) or (last is not None and score <= last):
            out.append(
                Problem(
                    file,
                    key,
                    f"{where}.levels[{n}].score",
                    "scores must be integers, strictly increasing",
                )
            )
        else:
            last = score
    return out


def _check_criterion(file: str, key: str, n: int, criterion: Any, seen: set) -> list[Problem]:
    where = f"criterion[{n}]"
    if not isinstance(criterion, dict):
        return [Problem(file, key, where, "must be a table")]
    out = [
        Problem(file, key, f"{where}.{f}", "is required")
        for f in ("code", "domain", "label", "levels")
        if f not in criterion
    ]
    if criterion.get("code") in seen:
        out.append(Problem(file, key, f"{where}.code", "duplicate criterion code"))
    seen.add(criterion.get("code"))
    if "domain" in criterion and criterion["domain"] not in DOMAINS:
        out.append(Problem(file, key, f"{where}.domain", "unknown domain code"))
    for name in ("label", "guidance"):
        if problem := too_long(name, criterion.get(name)):
            out.append(Problem(file, key, f"{where}.{name}", problem))
    if "levels" in criterion:
        out += _check_levels(file, key, where, criterion["levels"])
    return out


def check_rubric(record: dict, file: str) -> list[Problem]:
    """Rubric rules: criteria with domains and increasing levels, a known pass rule."""
    key = record_key("rubric", record)
    out = _check_tracks("rubric", record, file)
    criteria = record.get("criterion")
    if isinstance(criteria, list):
        if not criteria:
            out.append(Problem(file, key, "criterion", "needs at least one criterion"))
        seen: set = set()
        for n, criterion in enumerate(criteria, 1):
            out += _check_criterion(file, key, n, criterion, seen)
    rule = record.get("pass_rule")
    if isinstance(rule, dict):
        params = PASS_RULE_KINDS.get(rule.get("kind"))
        if params is None:
            out.append(
                Problem(
                    file,
                    key,
                    "pass_rule.kind",
                    f"unknown rule; use one of {', '.join(PASS_RULE_KINDS)}",
                )
            )
        else:
            out += [
                Problem(file, key, f"pass_rule.{p}", "must be a number")
                for p in params
                if not _is_type(rule.get(p), (int, float))
            ]
    resolution = record.get("resolution", {"kind": "adjacent_mean"})
    if isinstance(resolution, dict) and resolution.get("kind") not in RESOLUTION_KINDS:
        out.append(
            Problem(
                file,
                key,
                "resolution.kind",
                f"unknown rule; use one of {', '.join(RESOLUTION_KINDS)}",
            )
        )
    policy = resolution.get("adjudicate", "disputed") if isinstance(resolution, dict) else None
    if isinstance(resolution, dict) and policy not in ADJUDICATION_POLICIES:
        out.append(
            Problem(
                file,
                key,
                "resolution.adjudicate",
                f"unknown policy; use one of {', '.join(ADJUDICATION_POLICIES)}",
            )
        )
    return out


def check_form_own_fields(record: dict, file: str) -> list[Problem]:
    """Form rules that need no other record: part, endorsement, numbers, part-specific fields."""
    key = record_key("form", record)
    out = []
    part = record.get("part")
    if record.get("endorsement") not in ENDORSEMENTS:
        out.append(Problem(file, key, "endorsement", "must be IMH or ECMH"))
    if part not in ("MC", "VIGNETTE"):
        out.append(Problem(file, key, "part", "must be MC or VIGNETTE"))
    duration = record.get("duration_minutes")
    if _is_type(duration, int) and not 1 <= duration <= 600:
        out.append(Problem(file, key, "duration_minutes", "must be between 1 and 600"))
    mark = record.get("pass_mark", 80)
    if _is_type(mark, (int, float)) and not 0 <= mark <= 100:
        out.append(Problem(file, key, "pass_mark", "must be a percent from 0 to 100"))
    needed = {
        "MC": ("items", "pass_mark", "item_count"),
        "VIGNETTE": ("track", "vignettes", "answer_count", "rubric"),
    }
    for field in needed.get(part, ()):
        if field not in record:
            out.append(Problem(file, key, field, f"is required for part {part}"))
    return out


CHECKS = {
    "item": check_item,
    "vignette": check_vignette,
    "rubric": check_rubric,
    "form": check_form_own_fields,
}
