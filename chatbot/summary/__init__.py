"""Summary artefacts computed from a parsed archive (the chart); texts live in handlers."""
