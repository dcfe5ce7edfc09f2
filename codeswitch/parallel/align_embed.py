"""SimAlign-style word alignment from a multilingual encoder (Jalili Sabet et al. 2020).

Each word (a :func:`codeswitch.tokenize.tokenize` token) is embedded as the mean of its
subword vectors at hidden layer ``config.layer`` (clamped to the model's depth) of the encoder
at ``config.model_path`` (a Hugging Face model dir, a sentence-transformers dir whose
transformer sits at its root or in a sub-folder, or a hub id). With the cosine similarity
matrix ``S``, the forward links are ``(i, argmax_j S[i, j])`` and the reverse links
``(argmax_i S[i, j], j)``; their intersection is SimAlign's *ArgMax* method, and every
symmetrisation of :func:`codeswitch.parallel.align.symmetrize` applies. Words cut off by the model's
length limit get no links. torch and transformers are imported here only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from codeswitch.errors import ConfigError
from codeswitch.parallel.align import AlignConfig, Link
from codeswitch.tokenize import Token


def _hf_dir(model_path: str) -> str:
    p = Path(model_path)
    modules = p / "modules.json"
    if modules.exists():
        for m in json.loads(modules.read_text(encoding="utf-8")):
            if m.get("type", "").endswith("Transformer"):
                return str(p / m.get("path", ""))
    return model_path


class EmbeddingAligner:
    """Loads the encoder once; :meth:`align` returns forward and reverse links for token lists."""

    def __init__(self, model_path: str, layer: int = 8, device: str = "cpu", max_length: int = 512) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = _hf_dir(model_path)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModel.from_pretrained(path).to(device).eval()
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load an encoder from --model {model_path!r} ({exc}); pass a local model "
                              "directory or a hub id") from None
        if not getattr(self.tokenizer, "is_fast", False):
            raise ConfigError(f"--model {model_path!r} has no fast tokenizer; word-to-subword mapping needs one")
        self.layer = min(layer, self.model.config.num_hidden_layers)
        self.device = device
        self.max_length = max_length
        self.torch = torch

    def _embed(self, words: list[str]):
        torch = self.torch
        enc = self.tokenizer(words, is_split_into_words=True, truncation=True, max_length=self.max_length,
                             return_tensors="pt")
        word_ids = enc.word_ids(0)
        with torch.no_grad():
            out = self.model(**{k: v.to(self.device) for k, v in enc.items()}, output_hidden_states=True)
        hidden = out.hidden_states[self.layer][0]
        vecs = torch.zeros(len(words), hidden.shape[-1])
        counts = torch.zeros(len(words))
        for pos, w in enumerate(word_ids):
            if w is not None:
                vecs[w] += hidden[pos].cpu()
                counts[w] += 1
        present = counts > 0
        vecs[present] /= counts[present].unsqueeze(1)
        return torch.nn.functional.normalize(vecs, dim=-1), present

    def align(self, src: list[Token], tgt: list[Token]) -> tuple[list[Link], list[Link]]:
        """Forward ``(i, argmax_j)`` and reverse ``(argmax_i, j)`` links over present words."""
        s, s_ok = self._embed([t.text for t in src])
        t, t_ok = self._embed([t.text for t in tgt])
        if not bool(s_ok.any()) or not bool(t_ok.any()):
            return [], []
        sim = s @ t.T
        sim[~s_ok, :] = -2.0
        sim[:, ~t_ok] = -2.0
        fwd = [(i, int(sim[i].argmax())) for i in range(len(src)) if s_ok[i]]
        rev = [(int(sim[:, j].argmax()), j) for j in range(len(tgt)) if t_ok[j]]
        return fwd, rev


def simalign_pairs(
    tokenized: Iterable[tuple[object, list[Token], list[Token]]], config: AlignConfig, progress: bool = False
) -> Iterator[tuple[object, list[Token], list[Token], list[Link], list[Link]]]:
    """Align ``(pair, src_tokens, tgt_tokens)`` triples with :class:`EmbeddingAligner`, in order."""
    if not config.model_path:
        raise ConfigError("--backend simalign needs --model (a local multilingual encoder dir or hub id)")
    aligner = EmbeddingAligner(config.model_path, config.layer)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit="pairs", desc="simalign")
    for pair, s, t in tokenized:
        fwd, rev = aligner.align(s, t)
        if bar is not None:
            bar.update(1)
        yield pair, s, t, fwd, rev
    if bar is not None:
        bar.close()
