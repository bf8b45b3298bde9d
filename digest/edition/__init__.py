"""Edition: stored stories and a slot in, a recorded edition (window, sections, bands) out."""
