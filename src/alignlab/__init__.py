"""alignlab: measure, steer and train the values of language models."""

__version__ = "0.1.0"
