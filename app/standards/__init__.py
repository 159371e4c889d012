"""Standard setting: modified Angoff studies of Part One forms."""
