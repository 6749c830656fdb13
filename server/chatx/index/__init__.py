"""The index: embeddings, the LanceDB store, the catalog, and hybrid search."""
