"""synthloop tools: generators, quality filters, dataset store and export, training,
evaluation and reports. Each is usable alone from Python; nothing here imports `agent`."""

from .offline import apply_offline_defaults

apply_offline_defaults()

__version__ = "0.1.0"
