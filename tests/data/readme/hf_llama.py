"""A two-layer Llama as transformers builds it from its config (nothing downloaded)."""

from transformers import LlamaConfig, LlamaForCausalLM


class Tiny(LlamaForCausalLM):
    def __init__(self) -> None:
        super().__init__(
            LlamaConfig(
                vocab_size=256,
                hidden_size=64,
                intermediate_size=128,
                num_hidden_layers=2,
                num_attention_heads=4,
                num_key_value_heads=2,
                max_position_embeddings=256,
            )
        )
