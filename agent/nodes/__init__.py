"""One module per graph node. A node takes (state, runtime) and returns only the keys it
changes; it must be idempotent, because a resumed run re-runs the node it was killed in."""
