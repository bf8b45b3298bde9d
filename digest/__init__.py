"""digest: Dutch wire news into scheduled newsletters and a static archive."""

__version__ = "0.1.0"
