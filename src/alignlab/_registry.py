"""Inspect entry point: registers alignlab's model provider and tasks with Inspect."""

from inspect_ai.model import modelapi


@modelapi(name="alignlab")
def alignlab_provider() -> type:
    from alignlab.models.provider import LlamaCppInProcessAPI

    return LlamaCppInProcessAPI
