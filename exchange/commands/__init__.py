"""Click commands of the ``exchange`` CLI, one module per area (each owns its commands)."""
