"""store of alignlab."""
