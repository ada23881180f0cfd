"""Generates the HF reference fixtures of dgpo-core's model tests (run once; outputs are committed).

For tiny random models of each supported architecture (saved with save_pretrained, so the
config spelling is transformers 5's) and for the real stories260K model, records HF
transformers' float32 logits on a right-padded batch, and stories260K's greedy continuation
from BOS. The Java tests never run Python.

    python3 tools/generate_model_fixtures.py dgpo-core/src/test/resources/models
"""
import json
import os
import shutil
import sys

import torch
from transformers import (AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, MistralConfig,
                          MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config,
                          Qwen3ForCausalLM)

OUT = sys.argv[1]
STORIES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "models", "stories260K")

COMMON = dict(vocab_size=97, hidden_size=32, intermediate_size=56, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
              rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2, initializer_range=0.2)

MODELS = {
    "tiny-llama": (LlamaForCausalLM, LlamaConfig(**COMMON, tie_word_embeddings=False, rope_theta=500000.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 8})),
    "tiny-mistral": (MistralForCausalLM, MistralConfig(**COMMON, sliding_window=5, rope_theta=1000000.0,
        tie_word_embeddings=False)),
    "tiny-qwen2": (Qwen2ForCausalLM, Qwen2Config(**COMMON, tie_word_embeddings=True, use_sliding_window=False,
        sliding_window=4, rope_theta=1000000.0)),
    "tiny-qwen3": (Qwen3ForCausalLM, Qwen3Config(**COMMON, head_dim=12, tie_word_embeddings=False,
        rope_theta=1000000.0)),
    "tiny-llama-bf16": (LlamaForCausalLM, LlamaConfig(**COMMON, tie_word_embeddings=True,
        rope_scaling={"rope_type": "linear", "factor": 2.0})),
}

IDS = [[1, 17, 45, 3, 88, 23, 60, 71, 5, 9, 33, 40, 12],
       [1, 50, 7, 19, 2, 64, 80, 0, 0, 0, 0, 0, 0]]
MASK = [[1] * 13, [1] * 7 + [0] * 6]


def reference(model, ids, mask):
    with torch.no_grad():
        out = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask))
    return out.logits.float().tolist()


def main():
    torch.manual_seed(1234)
    for name, (cls, cfg) in MODELS.items():
        cfg._attn_implementation = "eager"
        model = cls(cfg).eval()
        bf16 = name.endswith("bf16")
        target = os.path.join(OUT, name)
        if os.path.exists(target):
            shutil.rmtree(target)
        if bf16:
            model = model.to(torch.bfloat16)
        model.save_pretrained(target, safe_serialization=True)
        # Golden logits come from the saved file, widened to float32 (as dgpo loads it).
        loaded = cls.from_pretrained(target, dtype=torch.float32, attn_implementation="eager").eval()
        ref = {"input_ids": IDS, "attention_mask": MASK, "logits": reference(loaded, IDS, MASK)}
        with open(os.path.join(target, "reference.json"), "w") as f:
            json.dump(ref, f)

    stories = AutoModelForCausalLM.from_pretrained(STORIES, dtype=torch.float32, attn_implementation="eager").eval()
    ids = [[1, 403, 407, 261, 378, 10, 261, 429, 395, 426, 3, 300, 280, 271, 265, 268]]
    with torch.no_grad():
        greedy = stories.generate(torch.tensor([[1]]), max_new_tokens=40, do_sample=False,
                                  eos_token_id=None, pad_token_id=0)
    ref = {"input_ids": ids, "attention_mask": [[1] * len(ids[0])], "logits": reference(stories, ids, [[1] * len(ids[0])]),
           "greedy_from_bos": greedy[0].tolist()}
    with open(os.path.join(OUT, "stories260K-reference.json"), "w") as f:
        json.dump(ref, f)


if __name__ == "__main__":
    main()
