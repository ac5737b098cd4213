"""The review desk: `synthloop serve`, a local web app where a reviewer reads and decides on
policy versions, follows runs and settles quarantined labels.

    app.py        create_app(): the FastAPI app, its templates and static files
    desk.py       Desk: opens the workspace per request (read-only unless a form writes),
                  runs the background jobs (a resumed run, preview images)
    security.py   the token (when bound beyond localhost), CSRF, the Host check
    forms.py      the policy edit form <-> the policy's fields; review answers
    images.py     thumbnails, preview images, report plots (cached in memory)
    policy_pages.py, run_pages.py, label_pages.py   the routes, one area each

Pages are rendered on the server (Jinja2, autoescaped); every asset is served from
static/, so it works offline. Nothing a page shows is looked up by a path from the request:
policies by version, runs by thread id, samples and reports by id, through the store.
"""

from .app import create_app
from .desk import Desk

__all__ = ["Desk", "create_app"]
