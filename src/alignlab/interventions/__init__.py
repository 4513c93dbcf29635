"""interventions of alignlab."""
