"""serve of alignlab."""
