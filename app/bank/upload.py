"""Reading an uploaded bank (one .toml file or a .zip of a bank folder) safely.

A zip is never extracted with its own names: each entry's name is checked (no absolute paths,
no '..', no drive letters), the number of entries and the bytes they unpack to are capped while
reading (a zip bomb's declared sizes may lie), and only *.toml entries are written, by us, into
a fresh temporary folder that the validator then reads like any bank folder."""

import tempfile
import zipfile
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path, PurePosixPath

from app.bank.loader import BankContent, Lookup, read_bank

MAX_ZIP_ENTRIES = 500
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
CHUNK = 64 * 1024


class UploadRefused(Exception):
    """The upload cannot be read as a bank at all; nothing is kept."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


def kind_of(filename: str) -> str:
    """'toml' or 'zip' from the uploaded file's name; anything else is refused."""
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix not in (".toml", ".zip"):
        raise UploadRefused("Choose a bank file ending in .toml, or a .zip of a bank folder.")
    return suffix[1:]


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or ":" in name or ".." in path.parts or not path.parts:
        raise UploadRefused(f"The zip holds an unsafe path {name!r}: nothing was read.")
    return path


def _copy_capped(source, target: Path, budget: int) -> int:
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > budget:
                raise UploadRefused(
                    f"The zip unpacks to more than {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB: "
                    "nothing was read.",
                    413,
                )
            out.write(chunk)
    return written


def _unpack(data: bytes, folder: Path) -> None:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise UploadRefused("The file is not a readable zip archive.") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise UploadRefused(
                f"The zip holds {len(entries)} entries; at most {MAX_ZIP_ENTRIES} are allowed."
            )
        budget, found = MAX_UNZIPPED_BYTES, 0
        for entry in entries:
            path = _safe_name(entry.filename)
            if entry.is_dir() or path.suffix.lower() != ".toml":
                continue  # READMEs and other files beside the bank are not part of it
            found += 1
            target = folder.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(entry) as source:
                    budget -= _copy_capped(source, target, budget)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
                raise UploadRefused(f"{entry.filename}: cannot be unpacked ({error}).") from None
    if not found:
        raise UploadRefused("The zip holds no .toml files: zip the bank folder itself.")


@contextmanager
def _unpacked(filename: str, kind: str, data: bytes):
    with tempfile.TemporaryDirectory(prefix="bank-upload-") as tmp:
        folder = Path(tmp)
        if kind == "zip":
            _unpack(data, folder)
            yield folder
        else:
            target = folder / (PurePosixPath(filename.replace("\\", "/")).name or "bank.toml")
            target.write_bytes(data)
            yield target


def read_upload(filename: str, kind: str, data: bytes, lookup: Lookup | None) -> BankContent:
    """Validate an uploaded bank exactly as `flask bank validate` does a file or folder."""
    with _unpacked(filename, kind, data) as path:
        return read_bank(path, lookup)
