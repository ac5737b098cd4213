"""CLIP image-text agreement: does each labelled box look like its class to a local CLIP?

Only with a local CLIP folder (transformers `CLIPModel` + `CLIPProcessor`, loaded with
`local_files_only=True`; nothing is downloaded). Each labelled object is cropped (with a
margin) and compared with one text per policy class plus a background text; an object is
flagged when another text is at least `ratio` times as likely as its own class ("looks
like hi_vis_vest", or "nothing there" when the background text wins). Classification
samples compare the whole image with the image labels. It cannot see unlabelled objects.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from ..errors import ConfigError, ExternalError
from ..models import ObjectFlag, Sample, SampleVerdict

log = logging.getLogger(__name__)
BACKGROUND = "__background__"


class ClipConfig(BaseModel):
    """Settings of the CLIP verifier (suggested config key: `[verify.clip]`)."""

    path: Path = Field(description="a local folder with a CLIPModel and CLIPProcessor")
    ratio: float = Field(default=2.0, gt=1.0, description="another text this many times as "
                         "likely as the label's flags the object")
    template: str = "a photo of a {name}"
    background: str = "a photo of an empty background"
    margin: float = Field(default=0.1, ge=0, le=1)
    device: str = "cpu"


class ClipVerifier:
    name = "clip"

    def __init__(self, config: ClipConfig, class_names: list[str]):
        if not class_names:
            raise ConfigError("the CLIP verifier needs the policy's class names", "pass policy_labels(policy)")
        path = Path(config.path).expanduser()
        if not (path / "config.json").is_file():
            raise ConfigError(f"no CLIP model in {path} (config.json missing)",
                              "point verify.clip.path at a folder saved with save_pretrained")
        try:
            from transformers import CLIPModel, CLIPProcessor

            self.model = CLIPModel.from_pretrained(path, local_files_only=True).to(config.device).eval()
            self.processor = CLIPProcessor.from_pretrained(path, local_files_only=True)
        except Exception as e:
            raise ExternalError(f"the CLIP model in {path} cannot be loaded: {type(e).__name__}: {e}",
                                "it needs the model and its processor (tokenizer + image processor)") from e
        self.config = config
        self.names = [*class_names, BACKGROUND]
        self.texts = [config.template.format(name=n.replace("_", " ")) for n in class_names]
        self.texts.append(config.background)
        self.errors = 0

    def class_probs(self, crops: list) -> np.ndarray:
        """Softmax over (classes + background) for each crop: shape (len(crops), classes+1)."""
        import torch

        x = self.processor(text=self.texts, images=crops, return_tensors="pt", padding=True)
        x = {k: v.to(self.config.device) for k, v in x.items()}
        with torch.no_grad():
            logits = self.model(**x).logits_per_image
        return logits.softmax(dim=-1).float().cpu().numpy()

    def _crops(self, img, sample: Sample) -> list:
        out = []
        for a in sample.annotations:
            x0, y0, x1, y1 = a.box
            mx, my = (x1 - x0) * self.config.margin, (y1 - y0) * self.config.margin
            box = (max(0, int(x0 - mx)), max(0, int(y0 - my)),
                   min(img.width, int(np.ceil(x1 + mx))), min(img.height, int(np.ceil(y1 + my))))
            out.append(img.crop(box))
        return out

    def judge(self, sample: Sample, image: bytes) -> SampleVerdict:
        from PIL import Image

        try:
            img = Image.open(io.BytesIO(image)).convert("RGB")
            if sample.annotations:
                crops, labels = self._crops(img, sample), [a.cls for a in sample.annotations]
            elif sample.label:
                crops, labels = [img], [sample.label]
            else:
                return SampleVerdict(sample_id=sample.id, verifier=self.name, verdict="ok",
                                     score=1.0, reason="nothing labelled")
            probs = self.class_probs(crops)
        except Exception as e:  # a bad image or a failing model never stops the run
            self.errors += 1
            log.warning("CLIP verifier failed on %s: %s", sample.id, e)
            return SampleVerdict(sample_id=sample.id, verifier=self.name, verdict="unverified",
                                 score=0.5, reason=f"CLIP failed: {type(e).__name__}")
        return self.decide(sample, labels, probs)

    def decide(self, sample: Sample, labels: list[str], probs: np.ndarray) -> SampleVerdict:
        objs, scores = [], []
        for j, (cls, row) in enumerate(zip(labels, probs, strict=True)):
            own = float(row[self.names.index(cls)]) if cls in self.names else 0.0
            best = int(row.argmax())
            scores.append(min(1.0, own / max(float(row.max()), 1e-9)))
            if self.names[best] != cls and float(row[best]) >= self.config.ratio * own:
                other = self.names[best]
                why = (f"{cls}: CLIP sees nothing there ({row[best]:.2f} vs {own:.2f})"
                       if other == BACKGROUND else
                       f"{cls}: looks like {other} to CLIP ({row[best]:.2f} vs {own:.2f})")
                objs.append(ObjectFlag(index=j if sample.annotations else None, cls=cls,
                                       box=sample.annotations[j].box if sample.annotations else None,
                                       score=scores[-1], reason=why))
        return SampleVerdict(sample_id=sample.id, verifier=self.name,
                             verdict="suspect" if objs else "ok", score=min(scores),
                             reason="; ".join(o.reason for o in objs[:3]), objects=objs)

    def verify(self, sample: Sample, image: bytes) -> list[str]:
        from .verify import flags_of

        return flags_of(self.judge(sample, image), "clip")
