"""Generates dgpo-losses' TRL reference fixture (run once; the output is committed).

Calls TRL 1.13's own DPOTrainer._compute_loss (the code that holds every DPO loss type, the
f-divergences, loss mixtures and WPO weighting) on a stand-in trainer and model: the model returns
logits built from leaf tensors holding the sequence sums S (each completion token gets log-prob
S/n), so torch autograd gives the gradients of TRL's loss with respect to the four sums. The Java
tests never run Python.

    /work/pyref/bin/python tools/generate_trl_loss_fixtures.py \
        dgpo-losses/src/test/resources/trl/trl_losses.json
"""
import collections
import json
import math
import random
import sys
import types

import torch
import trl
from trl.trainer.dpo_trainer import DPOTrainer


def trainer(loss_types, weights=None, beta=0.1, label_smoothing=0.0, f_divergence_type="reverse_kl",
            f_alpha_divergence_coef=0.5, discopop_tau=0.05, use_weighting=False):
    """The attributes _compute_loss reads, as DPOTrainer.__init__ sets them from a DPOConfig."""
    accelerator = types.SimpleNamespace(device=torch.device("cpu"), gather=lambda x: x, gather_for_metrics=lambda x: x)
    return types.SimpleNamespace(
        model=types.SimpleNamespace(training=True), accelerator=accelerator, aux_loss_enabled=False, ld_alpha=None,
        precompute_ref_logps=True, f_divergence_type=f_divergence_type, f_alpha_divergence_coef=f_alpha_divergence_coef,
        loss_types=loss_types, loss_weights=weights or [1.0] * len(loss_types), beta=beta, label_smoothing=label_smoothing,
        args=types.SimpleNamespace(discopop_tau=discopop_tau), use_weighting=use_weighting,
        _metrics=collections.defaultdict(lambda: collections.defaultdict(list)), _total_train_tokens=0, _tp_size=1)


def layout(counts):
    """input_ids, completion_mask, attention_mask of rows [prompt token, n completion tokens, padding]."""
    rows, width = len(counts), max(counts) + 1
    ids = torch.zeros(rows, width, dtype=torch.long)
    ids[:, 0] = 1
    completion = torch.zeros(rows, width, dtype=torch.long)
    attention = torch.zeros(rows, width, dtype=torch.long)
    for i, n in enumerate(counts):
        completion[i, 1:n + 1] = 1
        attention[i, :n + 1] = 1
    return ids, completion, attention


def run_sums(t, sw, sl, nw, nl, rw, rl, dtype):
    """TRL's loss on a batch given by its sums; returns (loss, dL/dS, dL/dR) with S = [S_w, S_l]."""
    sums = torch.tensor(sw + sl, dtype=dtype, requires_grad=True)
    refs = torch.tensor(rw + rl, dtype=dtype, requires_grad=True)
    counts = nw + nl
    ids, completion, attention = layout(counts)
    width = ids.shape[1]
    n = torch.tensor(counts, dtype=dtype)
    positions = (torch.arange(width).unsqueeze(0) < n.unsqueeze(1)).to(dtype)

    def model(**kwargs):
        # logits [x, 0] over a two-token vocabulary with label 0: log p = x - logaddexp(x, 0) = S/n
        avg = sums / n
        x = avg - torch.log(-torch.expm1(avg))
        logits = torch.zeros(len(counts), width, 2, dtype=dtype)
        logits = logits + torch.stack([x.unsqueeze(1) * positions, torch.zeros_like(positions)], dim=-1)
        return types.SimpleNamespace(logits=logits)

    b = len(sw)
    inputs = dict(input_ids=ids, attention_mask=attention, completion_mask=completion,
                  ref_chosen_logps=refs[:b], ref_rejected_logps=refs[b:])
    loss = DPOTrainer._compute_loss(t, model, inputs, False)
    loss.backward()
    ref_grad = refs.grad if refs.grad is not None else torch.zeros_like(refs)  # sft reads no reference
    return loss.item(), sums.grad.tolist(), ref_grad.tolist()


def rounded(values, dtype):
    return torch.tensor(values, dtype=dtype).tolist()


def points(rng):
    """Pairs (S_w, S_l, n_w, n_l, R_w, R_l): log-ratios of about 1.5 or 8 (β·Δ up to a few), then edge cases."""
    pts = []
    for i in range(36):
        spread = 8 if i % 2 else 1.5
        nw, nl = int(math.exp(rng.uniform(0, math.log(300)))), int(math.exp(rng.uniform(0, math.log(300))))
        aw, al = -rng.uniform(0.01, 4), -rng.uniform(0.01, 4)
        sw, sl = aw * nw, al * nl
        rw, rl = sw - rng.gauss(0, spread), sl - rng.gauss(0, spread)
        pts.append((sw, sl, nw, nl, rw, rl))
    pts += [
        (-0.5, -1.5, 1, 1, -0.6, -1.4),        # n = 1
        (-44.4, -44.4, 37, 37, -40.7, -40.7),  # chosen identical to rejected
        (-12.0, -30.0, 10, 20, -12.0, -30.0),  # policy = reference
        (-300.0, -900.0, 1500, 1500, -280.0, -910.0),  # long completions
        (-5.0, -250.0, 50, 50, -205.0, -50.0),   # large positive log-ratio gap
        (-250.0, -5.0, 50, 50, -50.0, -205.0),   # large negative gap
    ]
    return pts


def columns(pts, dtype):
    sw, sl, nw, nl, rw, rl = (list(c) for c in zip(*pts))
    return dict(sw=rounded(sw, dtype), sl=rounded(sl, dtype), nw=nw, nl=nl, rw=rounded(rw, dtype), rl=rounded(rl, dtype))


def per_pair_case(name, dgpo, trl_args, pts, dtype=torch.float64):
    cols = columns(pts, dtype)
    t = trainer(**trl_args)
    out = dict(name=name, dgpo=dgpo, trl=trl_args, dtype=str(dtype).replace("torch.", ""), batch=False,
               pairs=cols, loss=[], grad_sw=[], grad_sl=[], grad_rw=[], grad_rl=[])
    for i in range(len(pts)):
        loss, gs, gr = run_sums(t, [cols["sw"][i]], [cols["sl"][i]], [cols["nw"][i]], [cols["nl"][i]],
                                [cols["rw"][i]], [cols["rl"][i]], dtype)
        out["loss"].append(loss)
        out["grad_sw"].append(gs[0])
        out["grad_sl"].append(gs[1])
        out["grad_rw"].append(gr[0])
        out["grad_rl"].append(gr[1])
    return out


def batch_case(name, dgpo, trl_args, pts, dtype=torch.float64):
    """One batch: the batch loss and its gradients (a batch-dependent loss has no per-pair value)."""
    cols = columns(pts, dtype)
    b = len(pts)
    loss, gs, gr = run_sums(trainer(**trl_args), cols["sw"], cols["sl"], cols["nw"], cols["nl"], cols["rw"], cols["rl"], dtype)
    return dict(name=name, dgpo=dgpo, trl=trl_args, dtype=str(dtype).replace("torch.", ""), batch=True, pairs=cols,
                loss=loss, grad_sw=gs[:b], grad_sl=gs[b:], grad_rw=gr[:b], grad_rl=gr[b:])


def wpo_cases(rng):
    """WPO: real (random) logits, so TRL computes its own per-token log-probs and alignment terms.

    Records per pair the sums TRL's loss sees, the alignment sums Σ_t (log p(y_t) - log Σ_v p(v)²) and TRL's
    loss with and without use_weighting (their ratio is TRL's weight).
    """
    vocab, prompt = 7, 3
    specs = [("dpo", dict(loss_types=["sigmoid"], beta=0.1), {"beta": 0.1}, ["dpo"], None),
             ("dpo+sft", dict(loss_types=["sigmoid", "sft"], beta=0.1), {"beta": 0.1}, ["dpo", "sft"], None),
             ("ipo", dict(loss_types=["ipo"], beta=0.3), {"tau": 0.3}, ["ipo"], None)]
    pairs = []
    for _ in range(12):
        nw, nl = rng.randint(1, 12), rng.randint(1, 12)
        rows = []
        for n in (nw, nl):
            width = prompt + n
            ids = torch.tensor([[1] + [rng.randrange(vocab) for _ in range(width - 1)]])
            logits = torch.randn(1, width, vocab, dtype=torch.float64, generator=torch.Generator().manual_seed(rng.randrange(1 << 30))) * 2
            rows.append((ids, logits, n))
        pairs.append((rows, rng.uniform(-20, -2), rng.uniform(-20, -2)))
    out = []
    for name, trl_args, hp, losses, weights in specs:
        case = dict(name="wpo " + name, dgpo=dict(losses=losses, weights=weights, hyperparameters=dict(hp, use_weighting=True)),
                    trl=dict(trl_args, use_weighting=True), dtype="float64", batch=False,
                    pairs=dict(sw=[], sl=[], nw=[], nl=[], rw=[], rl=[], align_w=[], align_l=[]),
                    loss=[], unweighted_loss=[], weight=[])
        for rows, rw, rl in pairs:
            width = max(r[0].shape[1] for r in rows)
            ids = torch.zeros(2, width, dtype=torch.long)
            completion = torch.zeros(2, width, dtype=torch.long)
            attention = torch.zeros(2, width, dtype=torch.long)
            logits = torch.zeros(2, width, vocab, dtype=torch.float64)
            for i, (row_ids, row_logits, n) in enumerate(rows):
                w = row_ids.shape[1]
                ids[i, :w] = row_ids[0]
                completion[i, prompt:w] = 1
                attention[i, :w] = 1
                logits[i, :w] = row_logits[0]
            inputs = dict(input_ids=ids, attention_mask=attention, completion_mask=completion,
                          ref_chosen_logps=torch.tensor([rw], dtype=torch.float64),
                          ref_rejected_logps=torch.tensor([rl], dtype=torch.float64))
            model = lambda **kwargs: types.SimpleNamespace(logits=logits.clone().requires_grad_(True))
            weighted = DPOTrainer._compute_loss(trainer(**dict(trl_args, use_weighting=True)), model, inputs, False).item()
            plain = DPOTrainer._compute_loss(trainer(**trl_args), model, inputs, False).item()
            # the sums and alignment sums of the same tokens (what dgpo's trainer hands the loss)
            shift_logits, labels, mask = logits[:, :-1], ids[:, 1:], completion[:, 1:].to(torch.float64)
            logp = torch.log_softmax(shift_logits, -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
            log_denom = torch.logsumexp(2 * shift_logits, -1) - 2 * torch.logsumexp(shift_logits, -1)
            sums = (logp * mask).sum(1).tolist()
            align = ((logp - log_denom) * mask).sum(1).tolist()
            p = case["pairs"]
            for key, value in zip(("sw", "sl", "nw", "nl", "rw", "rl", "align_w", "align_l"),
                                  (sums[0], sums[1], rows[0][2], rows[1][2], rw, rl, align[0], align[1])):
                p[key].append(value)
            case["loss"].append(weighted)
            case["unweighted_loss"].append(plain)
            case["weight"].append(weighted / plain)
        out.append(case)
    return out


def finite(x):
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, list):
        return [finite(v) for v in x]
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    return x


def main():
    rng = random.Random(20240913)
    pts = points(rng)
    f64, f32 = torch.float64, torch.float32
    cases = []

    def add(name, losses, hp, trl_args, weights=None, dtype=f64):
        cases.append(per_pair_case(name, dict(losses=losses, weights=weights, hyperparameters=hp), trl_args, pts, dtype))

    add("dpo", ["dpo"], {"beta": 0.1}, dict(loss_types=["sigmoid"], beta=0.1))
    add("dpo forward_kl", ["dpo"], {"beta": 0.1, "f_divergence_type": "forward_kl"},
        dict(loss_types=["sigmoid"], beta=0.1, f_divergence_type="forward_kl"))
    add("dpo js_divergence", ["dpo"], {"beta": 0.1, "f_divergence_type": "js_divergence"},
        dict(loss_types=["sigmoid"], beta=0.1, f_divergence_type="js_divergence"))
    # TRL's alpha-divergence only runs in float16/bfloat16/float32 (its clamp table has no float64)
    for alpha in (0.5, 1.5):
        add("dpo alpha_divergence %.1f" % alpha, ["dpo"],
            {"beta": 0.1, "f_divergence_type": "alpha_divergence", "f_alpha_divergence_coef": alpha},
            dict(loss_types=["sigmoid"], beta=0.1, f_divergence_type="alpha_divergence", f_alpha_divergence_coef=alpha), dtype=f32)
    add("dpo alpha_divergence 1 (reverse KL limit)", ["dpo"],
        {"beta": 0.1, "f_divergence_type": "alpha_divergence", "f_alpha_divergence_coef": 1.0},
        dict(loss_types=["sigmoid"], beta=0.1, f_divergence_type="alpha_divergence", f_alpha_divergence_coef=1.0))
    add("ipo", ["ipo"], {"tau": 0.1}, dict(loss_types=["ipo"], beta=0.1))
    add("ipo js_divergence", ["ipo"], {"tau": 0.1, "f_divergence_type": "js_divergence"},
        dict(loss_types=["ipo"], beta=0.1, f_divergence_type="js_divergence"))
    add("hinge", ["hinge"], {"beta": 0.1}, dict(loss_types=["hinge"], beta=0.1))
    add("hinge forward_kl", ["hinge"], {"beta": 0.1, "f_divergence_type": "forward_kl"},
        dict(loss_types=["hinge"], beta=0.1, f_divergence_type="forward_kl"))
    add("robust", ["robust"], {"beta": 0.1, "label_smoothing": 0.1}, dict(loss_types=["robust"], beta=0.1, label_smoothing=0.1))
    add("robust js_divergence", ["robust"], {"beta": 0.2, "label_smoothing": 0.3, "f_divergence_type": "js_divergence"},
        dict(loss_types=["robust"], beta=0.2, label_smoothing=0.3, f_divergence_type="js_divergence"))
    add("exo-pair", ["exo-pair"], {"beta": 0.1, "label_smoothing": 1e-3}, dict(loss_types=["exo_pair"], beta=0.1, label_smoothing=1e-3))
    add("exo-pair alpha_divergence", ["exo-pair"],
        {"beta": 0.1, "label_smoothing": 0.05, "f_divergence_type": "alpha_divergence", "f_alpha_divergence_coef": 0.3},
        dict(loss_types=["exo_pair"], beta=0.1, label_smoothing=0.05, f_divergence_type="alpha_divergence",
             f_alpha_divergence_coef=0.3), dtype=f32)
    # TRL's exo_pair computes log ε and log(1 - ε) from a float32 tensor (torch.tensor of a Python float)
    for case in cases:
        if case["trl"]["loss_types"] == ["exo_pair"] and case["dtype"] == "float64":
            case["rel_tolerance"] = 1e-6
            case["rel_tolerance_reason"] = "TRL computes log(epsilon) and log1p(-epsilon) in float32"
    add("nca-pair", ["nca-pair"], {"beta": 0.1}, dict(loss_types=["nca_pair"], beta=0.1))
    add("bco-pair", ["bco-pair"], {"beta": 0.1}, dict(loss_types=["bco_pair"], beta=0.1))
    add("sppo-hard", ["sppo-hard"], {"beta": 0.1}, dict(loss_types=["sppo_hard"], beta=0.1))
    add("apo-zero", ["apo-zero"], {"beta": 0.1}, dict(loss_types=["apo_zero"], beta=0.1))
    add("apo-down", ["apo-down"], {"beta": 0.1}, dict(loss_types=["apo_down"], beta=0.1))
    add("discopop", ["discopop"], {"beta": 0.05, "discopop_tau": 0.05}, dict(loss_types=["discopop"], beta=0.05, discopop_tau=0.05))
    add("discopop forward_kl", ["discopop"], {"beta": 0.1, "discopop_tau": 0.2, "f_divergence_type": "forward_kl"},
        dict(loss_types=["discopop"], beta=0.1, discopop_tau=0.2, f_divergence_type="forward_kl"))
    add("sigmoid-norm", ["sigmoid-norm"], {"beta": 5.0}, dict(loss_types=["sigmoid_norm"], beta=5.0))
    add("sigmoid-norm js_divergence", ["sigmoid-norm"], {"beta": 5.0, "f_divergence_type": "js_divergence"},
        dict(loss_types=["sigmoid_norm"], beta=5.0, f_divergence_type="js_divergence"))
    add("sft", ["sft"], {}, dict(loss_types=["sft"]))
    add("rpo", ["dpo", "sft"], {"beta": 0.1}, dict(loss_types=["sigmoid", "sft"], beta=0.1))
    add("mpo", ["dpo", "bco-pair", "sft"], {"beta": 0.1}, dict(loss_types=["sigmoid", "bco_pair", "sft"], weights=[0.8, 0.2, 1.0], beta=0.1),
        weights=[0.8, 0.2, 1.0])

    batch = pts[:24]
    for name, trl_name, eps in (("aot", "aot", 0.0), ("aot", "aot", 0.1), ("aot-unpaired", "aot_unpaired", 0.0),
                                ("aot-unpaired", "aot_unpaired", 0.2)):
        cases.append(batch_case("%s label_smoothing %.1f" % (name, eps),
                                dict(losses=[name], weights=None, hyperparameters={"beta": 0.1, "label_smoothing": eps}),
                                dict(loss_types=[trl_name], beta=0.1, label_smoothing=eps), batch))
    cases += wpo_cases(rng)

    with open(sys.argv[1], "w") as f:
        # TRL's non-finite values (its discopop overflows to inf * 0) become null
        json.dump(finite(dict(generator="tools/generate_trl_loss_fixtures.py", trl=trl.__version__, torch=torch.__version__,
                       cases=cases)), f, indent=None, separators=(",", ":"), allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
