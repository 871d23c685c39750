"""annotate: quote attribution and stance pre-labelling for news text, round-tripped through Label Studio."""

__version__ = "0.1.0"
