"""Training that closes the loop: preference data, TRL/PEFT recipes, GGUF <-> HF conversion.

``recipe`` (YAML recipes), ``trainers`` (TRL SFT/DPO with PEFT LoRA or full
fine-tuning), ``align`` (``alignlab align``: train, evaluate before and after,
report), ``convert`` (bundled GGUF -> HF checkpoint, HF -> GGUF),
``ethics_data`` (bundled training items), ``preference`` (``alignlab data``),
``pairs`` (utility-control pairs).
"""
