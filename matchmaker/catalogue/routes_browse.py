"""Browse and search products (/products/), open to everyone."""
