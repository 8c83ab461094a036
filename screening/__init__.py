"""NLP-assisted screening for systematic reviews.

The package follows the pipeline a review runs through:
records (import) -> dedup -> protocol -> rank -> decisions -> measures -> app.
"""

__version__ = "0.1.0"
