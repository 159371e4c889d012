"""The coordinator's People pages: accounts, invitations, cohort import, disable and unlock."""
