"""scorers of alignlab."""
