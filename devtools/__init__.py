"""Developer tools: the synthetic X archive generator (`devtools.archivegen`)."""
