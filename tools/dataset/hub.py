"""Push an exported dataset folder to the Hugging Face hub: only when asked, only with a token.

The token comes from the caller or HF_TOKEN / HUGGING_FACE_HUB_TOKEN. It is registered as a
secret, so logs and error messages show *** instead, and it is never written anywhere.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..errors import ConfigError, ExternalError, NotFound, ValidationError
from ..generate.diffusion import HUB_ID, hub_online
from ..secrets import redact, register_secret

log = logging.getLogger(__name__)


def hub_token(token: str | None = None) -> str | None:
    """The token to use: the argument, else HF_TOKEN, else HUGGING_FACE_HUB_TOKEN."""
    return token or os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")


def push_to_hub(folder: str | Path, repo_id: str, *, token: str | None = None,
                private: bool = True) -> str:
    """Upload an export folder to the dataset repo `repo_id` (created private if missing);
    returns the repo URL.

    push_to_hub(export_hf(ws, ds, "exports/hf"), "me/hard-hats")
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir() or not any(folder.iterdir()):
        raise NotFound(f"export folder {folder} does not exist or is empty",
                       "export first: synthloop export --format hf DIR")
    if not HUB_ID.match(repo_id or ""):
        raise ValidationError(f"repo id {repo_id!r} is not of the form owner/name",
                              "e.g. my-org/hard-hat-dataset")
    tok = hub_token(token)
    if not tok:
        raise ConfigError("pushing to the hub needs a token and none is set",
                          "export HF_TOKEN=<a write token from huggingface.co/settings/tokens>")
    register_secret(tok)
    from huggingface_hub import HfApi

    log.info("pushing %s to the hub dataset repo %s", folder, repo_id)
    try:
        with hub_online():
            api = HfApi(token=tok)
            api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
            api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                              ignore_patterns=[".synthloop-export", "**/.cache/**"],
                              commit_message="Upload dataset exported by synthloop")
    except (ConfigError, ExternalError):
        raise
    except Exception as e:
        raise ExternalError(f"push to {repo_id} failed: {redact(f'{type(e).__name__}: {e}')}",
                            "check the repo id, the token's write permission and the network"
                            ) from None
    return f"https://huggingface.co/datasets/{repo_id}"
