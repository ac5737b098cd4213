"""synthloop tools: generators, quality filters, dataset store and export, training,
evaluation and reports. Each is usable alone from Python; nothing here imports `agent`.

Importing this package changes no environment variable: the offline defaults
(`offline.apply_offline_defaults`) are applied by the CLI's `main()` and by the functions
that load a model or import a library that would otherwise reach the network."""

__version__ = "0.1.0"
