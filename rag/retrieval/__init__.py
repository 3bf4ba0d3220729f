"""Finding the chunks that answer a question: dense, lexical, fused, scoped to the documents asked about."""
