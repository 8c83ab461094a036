"""Embedding a project's sentences ahead of ranking: locally, or as Ray Data batches on a cluster."""
