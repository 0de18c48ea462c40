"""Templates: sandboxed compile/validate/render (``engine``), filters and HTML derivation."""
