"""Build flperf's offline demo chat model from nothing.

The model is a random-weight tiny Qwen2 with a byte-level BPE tokenizer trained on synthetic
text, both made from a fixed seed, converted by onnxruntime-genai's model builder into an ONNX
Runtime GenAI folder that Foundry Local can register in its LOCAL catalog. Its text is gibberish;
its compute is real.

Generation always runs to ``max_output_tokens``: a reserved residual-stream channel carries a
constant through every layer, and the lm_head rows of the special tokens (EOS included) and of
every token that is not printable ASCII read that channel with a large negative weight, so their
logits sit far below every other token's at any temperature. Each generated token therefore
decodes to visible text on its own.

Run it through ``build.sh`` (its own virtual environment); the same seed and the same pinned
tool versions give byte-identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "src" / "flperf" / "providers" / "demo_model"

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# Characters the model may emit: printable ASCII without the ones that spell chat markers.
EMITTABLE = {chr(c) for c in range(0x20, 0x7F)} - set("<|>")
TOOL_PACKAGES = [
    "torch",
    "transformers",
    "tokenizers",
    "onnx",
    "onnx_ir",
    "onnxruntime",
    "onnxruntime-genai",
    "numpy",
    "safetensors",
    "protobuf",
]
COMMON_WORDS = (  # noqa: SIM905 - a word list reads better as text
    "the a an of to and in is it that for on with as was at by this be from or are not but "
    "have had one all can will more time what about which when there their so up out if "
    "model token speed local run test bench fast slow light river stone cloud number paper "
    "write read answer question explain simple short long story code data system local "
    "please tell me how why who where describe summary list three five ten words"
).split()


@dataclass(frozen=True)
class BuildParams:
    """Everything that decides the output bytes (together with the tool versions)."""

    seed: int = 20240611
    vocab_size: int = 1024
    hidden_size: int = 128
    intermediate_size: int = 256
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 2
    context_length: int = 4096
    corpus_sentences: int = 20000
    precision: str = "int4"
    model_id: str = "flperf-demo-generic-cpu:1"
    alias: str = "flperf-demo"
    carrier_value: float = 8.0
    suppress_weight: float = -64.0


def synthetic_corpus(params: BuildParams) -> list[str]:
    """Seeded pseudo-English sentences: made-up words plus a few common English ones."""
    rng = random.Random(params.seed)
    onsets = [
        "",
        "b",
        "c",
        "d",
        "f",
        "g",
        "h",
        "k",
        "l",
        "m",
        "n",
        "p",
        "r",
        "s",
        "t",
        "v",
        "w",
        "st",
        "tr",
        "pl",
        "gr",
        "br",
        "sh",
        "ch",
        "th",
    ]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io"]
    codas = ["", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck"]
    invented = []
    for _ in range(1500):
        syllables = rng.randint(1, 3)
        invented.append(
            "".join(
                rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                for _ in range(syllables)
            )
        )
    words = invented + COMMON_WORDS * 8
    punctuation = [".", ".", ".", "?", "!", ";", ":"]
    sentences = []
    for _ in range(params.corpus_sentences):
        n = rng.randint(4, 16)
        chosen = [rng.choice(words) for _ in range(n)]
        if rng.random() < 0.2:
            chosen.insert(rng.randrange(n), str(rng.randint(0, 9999)))
        if rng.random() < 0.15:
            i = rng.randrange(n - 1)
            chosen[i] = chosen[i] + ","
        text = " ".join(chosen)
        sentences.append(text[0].upper() + text[1:] + rng.choice(punctuation))
    return sentences


def train_tokenizer(params: BuildParams, corpus: list[str], hf_dir: Path) -> None:
    """Train a byte-level BPE and save it as a Hugging Face fast tokenizer with a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=params.vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        model_max_length=params.context_length,
        clean_up_tokenization_spaces=False,
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(hf_dir)


def byte_decoder() -> dict[str, int]:
    """Map GPT-2 byte-level symbols back to byte values."""
    printable = (
        list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    )
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, codes, strict=True)}


def suppressed_token_ids(hf_dir: Path) -> list[int]:
    """Ids of special tokens and of tokens whose bytes are not all emittable characters."""
    vocab: dict[str, int] = json.loads((hf_dir / "tokenizer.json").read_text())["model"]["vocab"]
    decoder = byte_decoder()
    suppressed = []
    for symbol, token_id in vocab.items():
        if symbol in SPECIAL_TOKENS:
            suppressed.append(token_id)
            continue
        raw = bytes(decoder[ch] for ch in symbol)
        if not all(chr(b) in EMITTABLE for b in raw):
            suppressed.append(token_id)
    return sorted(suppressed)


def build_hf_model(params: BuildParams, hf_dir: Path) -> dict[str, int]:
    """Save a seeded random Qwen2 whose special and non-ASCII tokens can never be generated."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    eos_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad_id = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=params.hidden_size,
        intermediate_size=params.intermediate_size,
        num_hidden_layers=params.num_layers,
        num_attention_heads=params.num_heads,
        num_key_value_heads=params.num_kv_heads,
        max_position_embeddings=params.context_length,
        tie_word_embeddings=False,
        bos_token_id=pad_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        torch_dtype="float32",
    )
    torch.manual_seed(params.seed)
    model = Qwen2ForCausalLM(config).eval()
    carrier = params.hidden_size - 1  # the residual channel reserved for the suppression bias
    suppressed = suppressed_token_ids(hf_dir)
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.08)
        for name, param in model.named_parameters():
            if name.endswith("layernorm.weight") or name == "model.norm.weight":
                param.fill_(1.0)
        model.model.embed_tokens.weight[:, carrier] = params.carrier_value
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight[carrier, :] = 0.0
            layer.mlp.down_proj.weight[carrier, :] = 0.0
        model.lm_head.weight[:, carrier] = 0.0
        model.lm_head.weight[suppressed, :] = 0.0
        model.lm_head.weight[suppressed, carrier] = params.suppress_weight
    model.generation_config.eos_token_id = eos_id
    model.generation_config.pad_token_id = pad_id
    model.save_pretrained(hf_dir, safe_serialization=True)
    return {"eos_token_id": eos_id, "pad_token_id": pad_id, "suppressed_tokens": len(suppressed)}


def convert(params: BuildParams, hf_dir: Path, out_dir: Path, cache_dir: Path) -> None:
    """Run onnxruntime-genai's model builder on the Hugging Face folder."""
    cmd = [
        sys.executable,
        "-m",
        "onnxruntime_genai.models.builder",
        "-i",
        str(hf_dir),
        "-o",
        str(out_dir),
        "-p",
        params.precision,
        "-e",
        "cpu",
        "-c",
        str(cache_dir),
    ]
    # The builder stamps the git HEAD of whatever repository holds its site-packages into the
    # model; with no git repository visible it stamps its own release commit instead.
    env = dict(
        os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GIT_DIR=str(cache_dir / "no-git")
    )
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    # Foundry Local reads chat_template.jinja; older ONNX Runtime GenAI consumers read the template
    # from tokenizer_config.json, so it goes in both. The loader-only keys transformers adds are
    # dropped so the folder reads the same wherever it is copied.
    config_path = out_dir / "tokenizer_config.json"
    tokenizer_config = json.loads(config_path.read_text())
    for key in ("is_local", "local_files_only"):
        tokenizer_config.pop(key, None)
    tokenizer_config["chat_template"] = CHAT_TEMPLATE
    config_path.write_text(json.dumps(tokenizer_config, indent=2, sort_keys=True) + "\n")


def tool_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in TOOL_PACKAGES}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(params: BuildParams, out_dir: Path, facts: dict[str, int]) -> None:
    files = {p.name: sha256(p) for p in sorted(out_dir.iterdir()) if p.name != "MANIFEST.json"}
    manifest = {
        "model_id": params.model_id,
        "alias": params.alias,
        "description": "flperf offline demo model: random-weight tiny Qwen2, gibberish text, "
        "real ONNX Runtime GenAI compute; never emits EOS",
        "build_params": asdict(params),
        "facts": facts,
        "tools": tool_versions(),
        "files": files,
    }
    (out_dir / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def build(params: BuildParams, out_dir: Path) -> None:
    """Build the model into ``out_dir`` (replacing what is there)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with tempfile.TemporaryDirectory(prefix="flperf-demo-build-") as tmp:
        tmp_path = Path(tmp)
        hf_dir = tmp_path / "hf"
        onnx_dir = tmp_path / "onnx"
        hf_dir.mkdir()
        train_tokenizer(params, synthetic_corpus(params), hf_dir)
        facts = build_hf_model(params, hf_dir)
        convert(params, hf_dir, onnx_dir, tmp_path / "cache")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        for item in sorted(onnx_dir.iterdir()):
            shutil.copy2(item, out_dir / item.name)
    write_manifest(params, out_dir, facts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--seed", type=int, default=BuildParams.seed)
    parser.add_argument("--precision", choices=["int4", "fp32"], default=BuildParams.precision)
    args = parser.parse_args()
    params = BuildParams(seed=args.seed, precision=args.precision)
    build(params, args.out.resolve())
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"built {params.model_id} in {args.out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
