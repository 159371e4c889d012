"""The question bank as files: format, validation, import with versioning, export."""
