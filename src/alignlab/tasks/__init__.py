"""tasks of alignlab."""
