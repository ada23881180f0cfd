"""Generates dgpo-train's optimizer fixture (run once; the output is committed).

Records, with the real PyTorch and transformers code: torch.optim.AdamW over several steps with weight
decay on the parameters transformers' Trainer decays (its get_decay_parameter_names: not norms, not
biases) of a tiny Qwen2 model, and off on the others; transformers' cosine, linear and constant
warmup schedules with the warmup steps TrainingArguments derives from a ratio; and
torch.nn.utils.clip_grad_norm_. The Java tests never run Python.

    /work/pyref/bin/python tools/generate_optimizer_fixtures.py \
        dgpo-train/src/test/resources/optim/optimizer.json
"""
import json
import sys
import tempfile

import torch
import transformers
from transformers import (Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM, Trainer, TrainingArguments,
                          get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup,
                          get_linear_schedule_with_warmup)

TINY = dict(vocab_size=11, hidden_size=8, intermediate_size=12, num_hidden_layers=1, num_attention_heads=2,
            num_key_value_heads=1, max_position_embeddings=16, tie_word_embeddings=False)


def tensors(named):
    return {name: t.detach().flatten().tolist() for name, t in named.items()}


def adamw():
    torch.manual_seed(7)
    model = Qwen2ForCausalLM(Qwen2Config(**TINY))
    params = dict(model.named_parameters())
    decay = set(Trainer.get_decay_parameter_names(None, model))
    groups = [dict(params=[p for n, p in params.items() if n in decay], weight_decay=0.1),
              dict(params=[p for n, p in params.items() if n not in decay], weight_decay=0.0)]
    opt = torch.optim.AdamW(groups, lr=1.0, betas=(0.9, 0.95), eps=1e-8)
    initial = tensors(params)
    rates = [1e-2, 3e-3, 5e-2, 2e-2]
    gradients = []
    after = []
    gen = torch.Generator().manual_seed(11)
    for lr in rates:
        grads = {n: torch.randn(p.shape, generator=gen) * (0.5 if n.endswith("bias") else 1.0) for n, p in params.items()}
        for n, p in params.items():
            p.grad = grads[n].clone()
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        gradients.append(tensors(grads))
        after.append(tensors(params))
    state = {n: opt.state[p] for n, p in params.items()}
    return dict(shapes={n: list(p.shape) for n, p in params.items()}, decay=sorted(decay), betas=[0.9, 0.95], eps=1e-8,
                weight_decay=0.1, learning_rates=rates, initial=initial, gradients=gradients, after=after,
                exp_avg=tensors({n: s["exp_avg"] for n, s in state.items()}),
                exp_avg_sq=tensors({n: s["exp_avg_sq"] for n, s in state.items()}))


def decay_names():
    """Which parameters transformers' Trainer decays, for the architectures dgpo loads."""
    out = {}
    for name, cls, cfg in (("qwen2", Qwen2ForCausalLM, Qwen2Config(**TINY)), ("qwen3", Qwen3ForCausalLM, Qwen3Config(**TINY, head_dim=4))):
        model = cls(cfg)
        decay = set(Trainer.get_decay_parameter_names(None, model))
        out[name] = {n: n in decay for n, _ in model.named_parameters()}
    return out


def schedules():
    out = []
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    with tempfile.TemporaryDirectory() as tmp:
        for total, ratio in ((10, 0.1), (25, 0.0), (7, 0.3), (100, 0.05), (3, 0.5)):
            warmup = TrainingArguments(output_dir=tmp, warmup_steps=ratio, report_to=[]).get_warmup_steps(total)
            for kind, make in (("cosine", get_cosine_schedule_with_warmup), ("linear", get_linear_schedule_with_warmup)):
                sched = make(opt, num_warmup_steps=warmup, num_training_steps=total)
                out.append(dict(type=kind, total=total, warmup_ratio=ratio, warmup_steps=warmup,
                                factors=[sched.lr_lambdas[0](k) for k in range(total + 2)]))
            sched = get_constant_schedule_with_warmup(opt, num_warmup_steps=warmup)
            out.append(dict(type="constant", total=total, warmup_ratio=ratio, warmup_steps=warmup,
                            factors=[sched.lr_lambdas[0](k) for k in range(total + 2)]))
    return out


def clipping():
    out = []
    gen = torch.Generator().manual_seed(5)
    for max_norm, scale in ((1.0, 3.0), (1.0, 0.1), (0.5, 1.0), (2.5, 10.0)):
        params = [torch.nn.Parameter(torch.zeros(shape)) for shape in ((3, 4), (5,), (2, 2, 2))]
        for p in params:
            p.grad = torch.randn(p.shape, generator=gen) * scale
        before = [p.grad.flatten().tolist() for p in params]
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        out.append(dict(max_norm=max_norm, shapes=[list(p.shape) for p in params], gradients=before, norm=norm.item(),
                        clipped=[p.grad.flatten().tolist() for p in params]))
    return out


def main():
    fixture = dict(generator="tools/generate_optimizer_fixtures.py", torch=torch.__version__, transformers=transformers.__version__,
                   adamw=adamw(), decay_names=decay_names(), schedules=schedules(), clipping=clipping())
    with open(sys.argv[1], "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
