"""datasets of alignlab."""
