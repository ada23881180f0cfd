"""Renders chat-template fixtures with HF transformers (run once; outputs are committed).

    python3 tools/generate_template_fixtures.py SHARED_TOKENIZERS_DIR dgpo-data/src/test/resources/templates

For the Qwen3 and Llama 3 templates of the bundled tokenizer configs, the original
Mistral-7B-Instruct-v0.2 template and Zephyr's, renders a set of conversations with
tokenizer.apply_chat_template(tokenize=False), recording the exact string or the error.
"""
import gzip
import json
import os
import shutil
import sys
import tempfile

from transformers import AutoTokenizer

SRC, OUT = sys.argv[1], sys.argv[2]

MISTRAL = ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
           "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
           "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
           "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
           "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")
ZEPHYR = ("{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
          "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
          "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
          "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}")

S, U, A = "system", "user", "assistant"
CONVERSATIONS = [
    [(U, "Hi there")],
    [(S, "You are a helpful assistant."), (U, "What is 2+2?")],
    [(S, "Be brief."), (U, "Hello"), (A, "Hi! How can I help?"), (U, "Tell me a joke.")],
    [(U, "First question"), (A, "First answer"), (U, "Second question"), (A, "Second answer")],
    [(U, "Line one\nLine two\n\n  indented \"quoted\" 'single' {{ braces }} {% not a tag %} ünïcødé 🙂")],
    [(U, "Think first"), (A, "<think>\nsome reasoning\n</think>\n\nThe answer is 4."), (U, "And now?")],
    [(U, "Ends oddly"), (A, "text before</think>")],
    [(U, "<tool_response>\nresult\n</tool_response>")],
    [(S, "sys"), (U, "q1"), (A, "a1"), (U, "<tool_response>x</tool_response>"), (A, "a2")],
    [(U, "  leading and trailing spaces  "), (A, "\n\nanswer with leading newlines")],
    [(U, "\x01control chars\x02 and\ttabs\x0b"), (A, "\x1fend\x01")],
]


def tokenizer_dir(name):
    d = tempfile.mkdtemp()
    src = os.path.join(SRC, name)
    shutil.copy(os.path.join(src, "tokenizer_config.json"), d)
    gz = os.path.join(src, "tokenizer.json.gz")
    if os.path.exists(gz):
        with gzip.open(gz, "rb") as f, open(os.path.join(d, "tokenizer.json"), "wb") as g:
            g.write(f.read())
    else:
        shutil.copy(os.path.join(src, "tokenizer.json"), d)
    return d


def render(tok, template, name):
    cases = []
    for conv in CONVERSATIONS:
        messages = [{"role": r, "content": c} for r, c in conv]
        for gen in (True, False):
            if gen and conv[-1][0] == A:
                continue
            case = {"messages": messages, "add_generation_prompt": gen}
            try:
                case["expected"] = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen, chat_template=template)
            except Exception as e:  # noqa: BLE001 - the error is the fixture
                case["error"] = str(e)
            cases.append(case)
    return {"name": name, "template": template if template else tok.chat_template,
            "bos_token": tok.bos_token, "eos_token": tok.eos_token, "cases": cases}


def main():
    os.makedirs(OUT, exist_ok=True)
    qwen = AutoTokenizer.from_pretrained(tokenizer_dir("qwen3"))
    llama3 = AutoTokenizer.from_pretrained(tokenizer_dir("llama3"))
    mistral = AutoTokenizer.from_pretrained(tokenizer_dir("mistral"))
    for name, tok, template in [("qwen3", qwen, None), ("llama3", llama3, None), ("mistral-instruct", mistral, MISTRAL), ("zephyr", mistral, ZEPHYR)]:
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(render(tok, template, name), f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
