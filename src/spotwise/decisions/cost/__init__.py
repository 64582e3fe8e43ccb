"""Cost decisions: how commitments (reserved instances, savings plans) cover instances."""
