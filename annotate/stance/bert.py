"""A BERT sentence encoder with mean pooling (all-MiniLM-L6-v2 and its kind), run in plain torch from the model
folder's ``model.safetensors`` and ``tokenizer.json``.

Why not sentence-transformers: importing it (with transformers and scikit-learn behind it) takes several seconds,
longer than pre-labelling a hundred articles; this is the same computation with the same torch operations, so the
embeddings, and the labels, are those of the library (``tests/test_stance.py`` compares them). Folders of other
architectures or pooling go through sentence-transformers (``learned.Encoder``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy
import torch
import torch.nn.functional as F

from ..batching import batched


def is_plain_bert(folder: Path) -> bool:
    """A sentence-transformers folder holding a BERT with mean pooling and nothing else this module would skip."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    kinds = [module.get("type", "").rsplit(".", 1)[-1] for module in modules]
    # Pooling configs name their modes as "pooling_mode": "mean" (or a list) or, in older folders, as flags.
    mode = pooling.get("pooling_mode")
    if mode is not None:
        only_mean = mode in ("mean", ["mean"])
    else:
        flags = {key for key, value in pooling.items() if key.startswith("pooling_mode_") and value}
        only_mean = flags == {"pooling_mode_mean_tokens"}
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and kinds in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"])
        and only_mean
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


class BertEncoder:
    """Normalised mean-pooled embeddings of texts, each truncated to ``max_tokens`` tokens."""

    def __init__(self, folder: Path, max_tokens: int, dtype: torch.dtype):
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        self.normalize_module = any(module.get("type", "").endswith("Normalize") for module in modules)
        self.heads, self.eps = config["num_attention_heads"], config["layer_norm_eps"]
        self.layers = config["num_hidden_layers"]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        # As sentence-transformers reads it: the folder's own limit, within the model's positions.
        try:
            own_limit = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"]
        except (OSError, ValueError, KeyError):
            own_limit = None
        limits = (max_tokens, own_limit or max_tokens, config.get("max_position_embeddings") or max_tokens)
        self.tokenizer.enable_truncation(max_length=min(limits))
        weights = load_file(str(folder / "model.safetensors"))
        # Some exports prefix every weight with the model's name ("bert.").
        self.weights = {
            name.removeprefix("bert."): tensor.to(dtype)
            for name, tensor in weights.items()
            if tensor.is_floating_point()
        }
        self.dtype = dtype

    def _layer_norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        w = self.weights
        return F.layer_norm(x, x.shape[-1:], w[f"{name}.weight"], w[f"{name}.bias"], self.eps)

    def _linear(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, self.weights[f"{name}.weight"], self.weights[f"{name}.bias"])

    def _forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The last layer's hidden states."""
        w = self.weights
        positions = torch.arange(ids.shape[1])
        # Summed in BERT's order: in half precision the order changes the result.
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][0]
        x = self._layer_norm(x + w["embeddings.position_embeddings.weight"][positions], "embeddings.LayerNorm")
        batch, length, hidden = x.shape
        head_size = hidden // self.heads
        # Padding keys get -inf before the softmax, as BERT's extended attention mask does.
        attention_mask = torch.zeros(batch, 1, 1, length, dtype=self.dtype).masked_fill(
            ~mask.bool()[:, None, None, :], torch.finfo(self.dtype).min
        )
        for number in range(self.layers):
            prefix = f"encoder.layer.{number}"

            def heads(name: str, prefix: str = prefix) -> torch.Tensor:
                projected = self._linear(x, f"{prefix}.attention.self.{name}")
                return projected.view(batch, length, self.heads, head_size).transpose(1, 2)

            context = F.scaled_dot_product_attention(
                heads("query"), heads("key"), heads("value"), attn_mask=attention_mask, scale=1 / math.sqrt(head_size)
            )
            context = context.transpose(1, 2).reshape(batch, length, hidden)
            x = self._layer_norm(
                self._linear(context, f"{prefix}.attention.output.dense") + x, f"{prefix}.attention.output.LayerNorm"
            )
            inner = F.gelu(self._linear(x, f"{prefix}.intermediate.dense"))
            x = self._layer_norm(self._linear(inner, f"{prefix}.output.dense") + x, f"{prefix}.output.LayerNorm")
        return x

    def _pool(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # Mean over the real tokens, summed in float32 as sentence-transformers' pooling does for half precision.
        weights = mask.unsqueeze(-1).to(x.dtype)
        summed = (x * weights).sum(dim=1, dtype=torch.float32)
        pooled = (summed / weights.sum(dim=1, dtype=torch.float32).clamp(min=1e-9)).to(x.dtype)
        # Normalised as the library does it: by the folder's Normalize module if it has one, then by
        # encode(normalize_embeddings=True). In bfloat16 the second pass still moves last bits.
        if self.normalize_module:
            pooled = F.normalize(pooled, p=2, dim=1)
        return F.normalize(pooled, p=2, dim=1)

    @torch.inference_mode()
    def embed(
        self, texts: Sequence[str], batch_size: int, quotes: Sequence[tuple[int, int] | None] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Two rows per text, in order: the mean of all its tokens, and of the tokens inside its quote (``quotes``:
        character offsets; None, or a quote cut off by truncation: all of it). Each distinct text runs once, however
        many of its quotes are asked for. Texts are batched longest first, so a batch holds little padding; in the
        order sentence-transformers uses, because in bfloat16 a text's embedding varies in its last bits with the
        length of the batch it is padded to."""
        quotes = quotes or [None] * len(texts)
        asked: dict[str, list[int]] = {}  # each distinct text -> the rows that ask for it
        for row, text in enumerate(texts):
            asked.setdefault(text, []).append(row)
        distinct = list(asked)
        encodings = self.tokenizer.encode_batch(distinct)
        order = numpy.argsort([-len(text) for text in distinct]).tolist()
        size = self.weights["embeddings.word_embeddings.weight"].shape[1]
        whole, quoted = torch.empty(len(texts), size), torch.empty(len(texts), size)
        for chunk in batched(order, batch_size):
            longest = max(len(encodings[i].ids) for i in chunk)
            ids = torch.zeros(len(chunk), longest, dtype=torch.long)
            mask = torch.zeros(len(chunk), longest, dtype=torch.long)
            for row, i in enumerate(chunk):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = torch.tensor(tokens)
                mask[row, : len(tokens)] = 1
            hidden = self._forward(ids, mask)
            pooled = self._pool(hidden, mask).float()
            # Each asking row gets its text's mean, and the mean of its own quote's tokens.
            rows = [(position, row) for position, i in enumerate(chunk) for row in asked[distinct[i]]]
            positions, targets = [position for position, _ in rows], [row for _, row in rows]
            quote_mask = torch.stack(
                [quote_tokens(encodings[chunk[position]].offsets, quotes[row], longest) for position, row in rows]
            )
            whole[targets] = pooled[positions]
            quoted[targets] = self._pool(hidden[positions], quote_mask).float()
        return whole, quoted


def quote_tokens(offsets: Sequence[tuple[int, int]], quote: tuple[int, int] | None, length: int) -> torch.Tensor:
    """1 for each token inside the quote's characters (special tokens have empty offsets: never inside), 0 for the
    others and for padding; every real token, as the whole text's mean has them, when there is no quote or none of
    it survived truncation."""
    inside = [
        int(quote is not None and end > start and quote[0] <= start and end <= quote[1]) for start, end in offsets
    ]
    if not any(inside):
        inside = [1] * len(offsets)
    return torch.tensor(inside + [0] * (length - len(offsets)), dtype=torch.long)
