"""policy of alignlab."""
