"""The coordinator's pages: sittings, seats, bank, results and reports."""
