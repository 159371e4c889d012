"""Reading a bank folder: parse every TOML file, check every record and every reference."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from app.bank.schema import CHECKS, FIELDS, Problem, check_fields, record_key
from app.codes import track_endorsement

KINDS = tuple(FIELDS)  # item, vignette, rubric, form


@dataclass
class Record:
    """One record as authored, with the file it came from."""

    kind: str
    key: str
    data: dict
    file: str


@dataclass
class BankContent:
    """Everything read from a bank folder, by kind and key, plus every problem found."""

    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {k: {} for k in KINDS})
    problems: list[Problem] = field(default_factory=list)

    def of(self, kind: str) -> dict[str, Record]:
        return self.records[kind]


def bank_files(path: Path) -> list[Path]:
    """The TOML files of a bank: the file itself, or every *.toml below the folder, sorted."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.toml") if p.is_file())


def _parse(file: Path, label: str, content: BankContent) -> dict | None:
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        content.problems.append(Problem(label, "-", "-", f"invalid TOML: {error}"))
    except (OSError, UnicodeDecodeError) as error:
        content.problems.append(Problem(label, "-", "-", f"cannot be read: {error}"))
    return None


def _collect(document: dict, label: str, content: BankContent) -> None:
    for top, records in document.items():
        if top not in KINDS:
            content.problems.append(
                Problem(
                    label, "-", top, f"unknown section; use {', '.join(f'[[{k}]]' for k in KINDS)}"
                )
            )
            continue
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            content.problems.append(Problem(label, "-", top, f"write records as [[{top}]] tables"))
            continue
        for data in records:
            _add_record(top, data, label, content)


def _add_record(kind: str, data: dict, label: str, content: BankContent) -> None:
    key = record_key(kind, data)
    found = check_fields(kind, data, label)
    if not found:
        found = CHECKS[kind](data, label)
    content.problems += found
    existing = content.of(kind).get(key)
    if existing is not None:
        content.problems.append(
            Problem(
                label,
                key,
                "key" if kind != "form" else "code",
                f"duplicate {kind} key (also in {existing.file})",
            )
        )
    elif not found:
        content.of(kind)[key] = Record(kind, key, data, label)


def _check_form_references(form: Record, content: BankContent) -> list[Problem]:
    data, out = form.data, []

    def problem(field_name: str, message: str) -> None:
        out.append(Problem(form.file, form.key, field_name, message))

    if data["part"] == "MC":
        keys = data["items"]
        if not keys:
            problem("items", "needs at least one item")
        for n, key in enumerate(keys, 1):
            item = content.of("item").get(key)
            if keys.index(key) != n - 1:
                problem(f"items[{n}]", f"item {key!r} is listed twice")
            elif item is None:
                problem(f"items[{n}]", f"no item with key {key!r} in the bank")
            elif item.data["endorsement"] not in (data["endorsement"], "BOTH"):
                problem(
                    f"items[{n}]",
                    f"item {key!r} is for {item.data['endorsement']}, not {data['endorsement']}",
                )
        return out
    track = data["track"]
    if track_endorsement(track) != data["endorsement"]:
        problem("track", f"{track!r} is not a track of {data['endorsement']}")
    vignettes = data["vignettes"]
    for n, key in enumerate(vignettes, 1):
        vignette = content.of("vignette").get(key)
        if vignette is None:
            problem(f"vignettes[{n}]", f"no vignette with key {key!r} in the bank")
        elif track not in vignette.data["tracks"]:
            problem(f"vignettes[{n}]", f"vignette {key!r} does not list track {track}")
    if isinstance(data["answer_count"], int) and not 1 <= data["answer_count"] <= len(vignettes):
        problem("answer_count", f"must be between 1 and {len(vignettes)} (the vignettes offered)")
    rubric = content.of("rubric").get(data["rubric"])
    if rubric is None:
        problem("rubric", f"no rubric with key {data['rubric']!r} in the bank")
    elif track not in rubric.data["tracks"]:
        problem("rubric", f"rubric {data['rubric']!r} does not list track {track}")
    return out


def read_bank(path: str | Path) -> BankContent:
    """Read and check a bank file or folder; every problem is collected, none stops the read."""
    root = Path(path)
    content = BankContent()
    if not root.exists():
        content.problems.append(Problem(str(path), "-", "-", "no such file or folder"))
        return content
    files = bank_files(root)
    if not files:
        content.problems.append(Problem(str(path), "-", "-", "no .toml files found"))
    for file in files:
        label = file.name if root.is_file() else str(file.relative_to(root))
        document = _parse(file, label, content)
        if document is not None:
            _collect(document, label, content)
    for form in list(content.of("form").values()):
        content.problems += _check_form_references(form, content)
    return content
