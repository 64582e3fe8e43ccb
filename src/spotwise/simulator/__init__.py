"""The simulator: a realistic cluster on spot for a simulated day, in virtual time."""
