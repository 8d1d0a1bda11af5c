"""Developer tools: the synthetic X archive generator (`chatbot.devtools.archivegen`)."""
