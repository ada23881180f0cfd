"""Generates the PEFT adapter fixtures of dgpo-core's LoRA tests (run once; outputs are committed).

Two LoRA adapters written by PEFT's own save_pretrained on the tiny random models of
dgpo-core/src/test/resources/models (made by generate_model_fixtures.py), with random non-zero
B matrices so the adapters change the logits:

- tiny-llama-lora: all-linear, r=4, lora_alpha=8 (PEFT expands all-linear into full module names);
- tiny-qwen2-lora-rslora: q_proj and v_proj only, r=2 with rank_pattern v_proj=3, lora_alpha=3
  with alpha_pattern v_proj=5, use_rslora.

Beside each adapter, reference.json holds PEFT's float32 logits of base + adapter on the same
right-padded batch as the model fixtures, and the logits of merge_and_unload(). The Java tests
never run Python.

    /work/pyref/bin/python tools/generate_adapter_fixtures.py dgpo-core/src/test/resources
"""
import json
import os
import shutil
import sys

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

ROOT = sys.argv[1]
IDS = [[1, 17, 45, 3, 88, 23, 60, 71, 5, 9, 33, 40, 12],
       [1, 50, 7, 19, 2, 64, 80, 0, 0, 0, 0, 0, 0]]
MASK = [[1] * 13, [1] * 7 + [0] * 6]

ADAPTERS = {
    "tiny-llama-lora": ("tiny-llama", LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules="all-linear",
                                                 task_type="CAUSAL_LM")),
    "tiny-qwen2-lora-rslora": ("tiny-qwen2", LoraConfig(r=2, lora_alpha=3, lora_dropout=0.1, target_modules=["q_proj", "v_proj"],
                                                        rank_pattern={"v_proj": 3}, alpha_pattern={"v_proj": 5},
                                                        use_rslora=True, task_type="CAUSAL_LM")),
}


def logits(model):
    with torch.no_grad():
        out = model(input_ids=torch.tensor(IDS), attention_mask=torch.tensor(MASK))
    return out.logits.float().tolist()


def main():
    torch.manual_seed(4321)
    for name, (base, cfg) in ADAPTERS.items():
        model = AutoModelForCausalLM.from_pretrained(os.path.join(ROOT, "models", base), attn_implementation="eager").eval()
        peft_model = get_peft_model(model, cfg).eval()
        with torch.no_grad():
            for pname, p in peft_model.named_parameters():
                if "lora_B" in pname:
                    p.copy_(torch.randn_like(p) * 0.3)
        target = os.path.join(ROOT, "adapters", name)
        if os.path.exists(target):
            shutil.rmtree(target)
        peft_model.save_pretrained(target)
        os.remove(os.path.join(target, "README.md"))
        with_adapter = logits(peft_model)
        merged = peft_model.merge_and_unload()
        with open(os.path.join(target, "reference.json"), "w") as f:
            json.dump({"base": base, "ids": IDS, "attention_mask": MASK, "logits": with_adapter, "merged_logits": logits(merged)}, f)


if __name__ == "__main__":
    main()
