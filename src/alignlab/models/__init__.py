"""models of alignlab."""
