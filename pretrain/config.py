"""TrainConfig: the YAML of `pretrain/run.py --config`, checked on load so a wrong key or value exits before any work.

Kept apart from the trainer so that readers of a config (`llama-data convert --config`) need not import DeepSpeed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from llama_data.config import check
from pretrain.model import PRESETS, ModelArgs

PAPER_LR = {"7B": 3.0e-4, "13B": 3.0e-4, "33B": 1.5e-4, "65B": 1.5e-4}  # Table 2


@dataclass
class TrainConfig:
    max_steps: int  # optimizer steps; the cosine schedule ends here
    model: str | None = None  # a preset of pretrain.model.PRESETS, or else...
    model_args: ModelArgs | None = None  # ...the architecture spelled out; vocab and seq_len come from the data
    batch_tokens: int = 4 * 1024 * 1024  # global batch in tokens = micro_batch_size x seq_len x accumulation x ranks
    micro_batch_size: int = 4  # sequences per rank per forward pass
    lr: float | None = None  # peak; None: Table 2's for the paper's sizes
    min_lr_ratio: float = 0.1
    warmup_steps: int = 2000
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    seed: int = 0
    checkpoint_every: int = 1000  # steps; 0: only at the end (and on SIGTERM/SIGINT)
    keep_last: int = 3  # checkpoints kept; 0 keeps all
    eval_every: int = 0  # steps; 0: no evaluation (the data's eval split is then not needed)
    eval_rows: int = 1024  # held-out sequences per evaluation (the same ones every time)
    log_every: int = 10
    max_bad_steps: int = 10  # stop after this many steps skipped for a non-finite loss or grad norm
    dtype: str = "auto"  # auto: bf16 on GPU, fp32 on CPU
    activation_checkpointing: str | None = None  # None, "selective" or "full" (see pretrain.model)
    peak_tflops: float | None = None  # one device's peak, for MFU; None: known GPUs' bf16 peak, no MFU on CPU
    zero: dict[str, object] = field(default_factory=dict)  # overrides of DeepSpeed's zero_optimization section

    def __post_init__(self):
        check((self.model is None) != (self.model_args is None), "model", "give exactly one of 'model' and 'model_args'")
        check(self.model is None or self.model in PRESETS, "model", f"must be one of {', '.join(PRESETS)}")
        if self.model_args is not None:
            a = self.model_args
            check(a.dim % a.n_heads == 0, "model_args.dim", f"must be a multiple of n_heads ({a.n_heads})")
            check(a.n_kv_heads is None or a.n_heads % a.n_kv_heads == 0, "model_args.n_kv_heads", "must divide n_heads")
        for key in ("max_steps", "batch_tokens", "micro_batch_size", "log_every", "eval_rows", "max_bad_steps"):
            check(getattr(self, key) > 0, key, "must be > 0")
        check(self.lr is not None or self.model in PAPER_LR, "lr",
              f"must be given unless model is one of the paper's sizes ({', '.join(PAPER_LR)})")
        self.lr = self.lr if self.lr is not None else PAPER_LR[self.model]
        check(self.lr > 0, "lr", "must be > 0")
        check(0 <= self.min_lr_ratio <= 1, "min_lr_ratio", "must be in [0, 1]")
        check(len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas), "betas", "must be two numbers in [0, 1)")
        for key in ("warmup_steps", "checkpoint_every", "keep_last", "eval_every", "weight_decay", "grad_clip"):
            check(getattr(self, key) >= 0, key, "must be >= 0")
        check(self.dtype in ("auto", "fp32", "bf16"), "dtype", "must be auto, fp32 or bf16")
        check(self.activation_checkpointing in (None, "selective", "full"), "activation_checkpointing",
              "must be null, selective or full")
        check(self.peak_tflops is None or self.peak_tflops > 0, "peak_tflops", "must be > 0")
        check("stage" not in self.zero, "zero.stage", "is always 3 here")
