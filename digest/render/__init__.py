"""Render: an edition in, Dutch-localised HTML e-mail, plain text and Markdown out."""
