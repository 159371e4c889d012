"""The platform's fixed vocabularies: roles, endorsements, tracks, domains, parts."""

ROLES = ("candidate", "proctor", "grader", "lead_grader", "coordinator")
ENDORSEMENTS = ("IMH", "ECMH")
CATEGORIES = ("SPECIALIST", "MENTOR-CLINICAL", "MENTOR-POLICY", "MENTOR-RESEARCH")
TRACKS = tuple(f"{e}-{c}" for e in ENDORSEMENTS for c in CATEGORIES)
DOMAINS = {
    "THEO": "Theoretical Foundations",
    "LAW": "Law, Regulation & Agency Policy",
    "SYS": "Systems Expertise",
    "DIRECT": "Direct Service Skills",
    "WWO": "Working with Others",
    "COMM": "Communicating",
    "THINK": "Thinking",
    "REFL": "Reflection",
    "ADMIN": "Administration",
    "RE": "Research & Evaluation",
}
PARTS = ("MC", "VIGNETTE")
PART_LABELS = {"MC": "Part One (multiple choice)", "VIGNETTE": "Part Two (vignettes)"}
VIGNETTE_KINDS = ("clinical", "supervisory", "policy", "teaching", "research")
CATEGORY_LABELS = {
    "SPECIALIST": "Mental Health Specialist",
    "MENTOR-CLINICAL": "Mental Health Mentor – Clinical",
    "MENTOR-POLICY": "Mental Health Mentor – Policy",
    "MENTOR-RESEARCH": "Mental Health Mentor – Research/Faculty",
}


def track_endorsement(track: str) -> str:
    """The endorsement part of a track code, e.g. IMH of IMH-MENTOR-CLINICAL."""
    return track.split("-", 1)[0]


def track_label(track: str) -> str:
    """A readable track name, e.g. 'IMH-E® Mental Health Specialist'."""
    endorsement, category = track.split("-", 1)
    return f"{endorsement}-E® {CATEGORY_LABELS.get(category, category)}"


def sql_in(values: tuple[str, ...] | list[str]) -> str:
    """A SQL literal list for CHECK constraints built from these vocabularies."""
    return ", ".join(f"'{v}'" for v in values)
