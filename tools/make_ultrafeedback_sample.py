"""Writes dgpo's small UltraFeedback-schema samples (run once; outputs are committed).

    python3 tools/make_ultrafeedback_sample.py data/ultrafeedback-sample

The rows are written for the project (simple facts, procedurally varied), not taken from the
UltraFeedback dataset; they only follow its two schemas.
"""
import json
import os
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq

OUT = sys.argv[1]
FACTS = [
    ("What is the capital of France?", "The capital of France is Paris.", "The capital of France is Lyon."),
    ("How many legs does a spider have?", "A spider has eight legs.", "Spiders have six legs, like insects."),
    ("What is the boiling point of water at sea level?", "Water boils at 100 degrees Celsius (212 degrees Fahrenheit) at sea level.", "Water boils at 50 degrees Celsius."),
    ("Who wrote 'Pride and Prejudice'?", "Jane Austen wrote 'Pride and Prejudice', published in 1813.", "It was written by Charles Dickens."),
    ("What is 12 times 12?", "12 times 12 is 144.", "12 times 12 is 124."),
    ("Which planet is closest to the Sun?", "Mercury is the planet closest to the Sun.", "Venus is the closest planet to the Sun."),
    ("What gas do plants absorb from the air?", "Plants absorb carbon dioxide and release oxygen during photosynthesis.", "Plants absorb oxygen and release nitrogen."),
    ("How many continents are there?", "There are seven continents.", "There are five continents, and that is all."),
    ("What is the largest ocean?", "The Pacific Ocean is the largest ocean on Earth.", "The Atlantic is the largest ocean."),
    ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au.", "Gold's symbol is Gd."),
    ("How do I reverse a list in Python?", "Use `my_list.reverse()` to reverse in place, or `my_list[::-1]` for a reversed copy.", "Python lists cannot be reversed."),
    ("What does HTTP stand for?", "HTTP stands for HyperText Transfer Protocol.", "It means High Transfer Text Process."),
]
STYLES = ["", "Please answer briefly: ", "Quick question. ", "I'm curious: "]
SYSTEM = "You are a helpful, honest assistant."


def binarized_rows(split, n, seed):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        q, good, bad = FACTS[i % len(FACTS)]
        prompt = STYLES[(i // len(FACTS)) % len(STYLES)] + q
        head = [{"role": "system", "content": SYSTEM}] if i % 5 == 0 else []
        head.append({"role": "user", "content": prompt})
        rows.append({
            "prompt": prompt,
            "prompt_id": f"{split}-{i:04d}",
            "chosen": head + [{"role": "assistant", "content": good}],
            "rejected": head + [{"role": "assistant", "content": bad}],
            "messages": head + [{"role": "assistant", "content": good}],
            "score_chosen": float(rng.choice([8.0, 8.5, 9.0, 10.0])),
            "score_rejected": float(rng.choice([2.0, 3.0, 4.5, 6.0])),
        })
    return rows


def raw_rows():
    rows = []
    for i, (q, good, bad) in enumerate(FACTS):
        def ann(r):
            return {k: {"Rating": r, "Rationale": "written for dgpo"} for k in ("helpfulness", "honesty", "instruction_following", "truthfulness")}
        completions = [
            {"model": "model-a", "response": good, "overall_score": 8.5, "annotations": ann("5")},
            {"model": "model-b", "response": bad, "overall_score": 3.0, "annotations": ann("2")},
            {"model": "model-c", "response": good + " Let me know if you need more.", "overall_score": 7.0, "annotations": ann("4")},
            {"model": "model-d", "response": "I am not sure.", "overall_score": 2.0, "annotations": {"helpfulness": {"Rating": "1"}, "honesty": {"Rating": "N/A"}}},
        ]
        if i == 3:  # a tie between the best two under best-vs-worst is impossible; make every score equal
            for c in completions:
                c["overall_score"] = 5.0
        if i == 4:  # only one rated completion
            for c in completions[1:]:
                del c["overall_score"]
                c["annotations"] = {"helpfulness": {"Rating": "N/A"}}
        if i == 5:  # no overall scores: fine-grained mean is used
            for c in completions:
                del c["overall_score"]
        rows.append({"source": "dgpo-sample", "instruction": q, "models": [c["model"] for c in completions], "completions": completions})
    return rows


def main():
    os.makedirs(os.path.join(OUT, "parquet"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "jsonl"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "raw"), exist_ok=True)
    for split, n, seed in (("train_prefs", 36, 1), ("test_prefs", 12, 2)):
        rows = binarized_rows(split, n, seed)
        pq.write_table(pa.Table.from_pylist(rows), os.path.join(OUT, "parquet", f"{split}-00000-of-00001.parquet"))
        with open(os.path.join(OUT, "jsonl", f"{split}.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(OUT, "raw", "ultrafeedback-raw.jsonl"), "w") as f:
        for r in raw_rows():
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
