"""Reading a bank folder: parse every TOML file, check every record and every reference."""

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.bank.schema import CHECKS, FIELDS, Problem, check_fields, record_key
from app.codes import track_endorsement

KINDS = tuple(FIELDS)  # item, vignette, rubric, form
MAX_FORM_ITEMS = 500
#: (kind, key) -> the stored latest record's data, or None: lets one file refer to the database
Lookup = Callable[[str, str], dict | None]


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


def _resolver(content: BankContent, lookup: Lookup | None) -> Callable[[str, str], dict | None]:
    """A record's data from the files read, else from the database (when a lookup is given)."""

    def resolve(kind: str, key: str) -> dict | None:
        record = content.of(kind).get(key)
        if record is not None:
            return record.data
        return lookup(kind, key) if lookup is not None else None

    return resolve


def _check_mc_form(data: dict, resolve, problem) -> None:
    keys = data["items"]
    if not keys:
        problem("items", "needs at least one item")
    count = data.get("item_count")
    if isinstance(count, int) and not 1 <= count <= MAX_FORM_ITEMS:
        problem("item_count", f"must be between 1 and {MAX_FORM_ITEMS}")
    elif isinstance(count, int) and len(keys) != count:
        problem("items", f"lists {len(keys)} item(s); item_count says the form has {count}")
    for n, key in enumerate(keys, 1):
        item = resolve("item", key)
        if keys.index(key) != n - 1:
            problem(f"items[{n}]", f"item {key!r} is listed twice")
        elif item is None:
            problem(f"items[{n}]", f"no item with key {key!r} in the bank")
        elif item["endorsement"] not in (data["endorsement"], "BOTH"):
            problem(
                f"items[{n}]",
                f"item {key!r} is for {item['endorsement']}, not {data['endorsement']}",
            )


def _check_vignette_form(data: dict, resolve, problem) -> None:
    track = data["track"]
    if track_endorsement(track) != data["endorsement"]:
        problem("track", f"{track!r} is not a track of {data['endorsement']}")
    vignettes = data["vignettes"]
    for n, key in enumerate(vignettes, 1):
        vignette = resolve("vignette", key)
        if vignette is None:
            problem(f"vignettes[{n}]", f"no vignette with key {key!r} in the bank")
        elif track not in vignette["tracks"]:
            problem(f"vignettes[{n}]", f"vignette {key!r} does not list track {track}")
    if isinstance(data["answer_count"], int) and not 1 <= data["answer_count"] <= len(vignettes):
        problem("answer_count", f"must be between 1 and {len(vignettes)} (the vignettes offered)")
    rubric = resolve("rubric", data["rubric"])
    if rubric is None:
        problem("rubric", f"no rubric with key {data['rubric']!r} in the bank")
    elif track not in rubric["tracks"]:
        problem("rubric", f"rubric {data['rubric']!r} does not list track {track}")


def _check_form_references(form: Record, resolve) -> list[Problem]:
    out: list[Problem] = []

    def problem(field_name: str, message: str) -> None:
        out.append(Problem(form.file, form.key, field_name, message))

    check = _check_mc_form if form.data["part"] == "MC" else _check_vignette_form
    check(form.data, resolve, problem)
    return out


def read_bank(path: str | Path, lookup: Lookup | None = None) -> BankContent:
    """Read and check a bank file or folder; every problem is collected, none stops the read.

    With a lookup, a form may list records that are not in the files but already stored."""
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
    resolve = _resolver(content, lookup)
    for form in list(content.of("form").values()):
        content.problems += _check_form_references(form, resolve)
    return content
