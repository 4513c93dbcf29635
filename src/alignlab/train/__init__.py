"""train of alignlab."""
