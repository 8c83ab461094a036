"""The one table that maps spreadsheet column names (any export) to RecordIn fields.

Headers are compared case-insensitively after trimming. For each field the first header of its list
that the file has wins, so e.g. a Web of Science file with both "UT" (accession number) and "ID"
(Keywords Plus) takes its source id from UT, and a Scopus file prefers "Authors" to "Author full names".
"""

from __future__ import annotations

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    # Scopus, Covidence, ASReview, PubMed, OpenAlex ("display_name"), WoS tab-delimited ("TI").
    "title": ("title", "display_name", "article title", "document title", "ti", "primary_title"),
    "abstract": ("abstract", "ab", "abstract_note", "notes_abstract"),
    "authors": ("authors", "author", "au", "af", "authorships.author.display_name", "author full names"),
    "year": ("year", "publication year", "published year", "publication_year", "py"),
    "journal": ("source title", "journal", "journal/book", "so", "journal_name", "secondary_title",
                "primary_location.source.display_name", "host_venue.display_name", "source"),
    "doi": ("doi", "di"),
    "pmid": ("pubmed id", "pmid", "pm", "pubmed_id", "ids.pmid"),
    "keywords": ("author keywords", "keywords", "de", "keywords.display_name", "keyword"),
    # The source's own id; "id" comes last because in WoS files "ID" means Keywords Plus.
    "source_id": ("record_id", "eid", "ut", "ut (unique wos id)", "ut (unique id)", "covidence #",
                  "openalex_id", "accession number", "id"),
    "label_included": ("label_included", "included", "asreview_label", "final_included"),
}

# Without one of these a spreadsheet is not a list of references.
REQUIRED_ANY = ("title", "abstract")


def match_columns(headers: list[str]) -> dict[str, int]:
    """Return {field: column index} for the fields this header row provides."""
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        positions.setdefault(header.strip().lstrip("\ufeff").casefold(), index)
    found: dict[str, int] = {}
    for field, names in COLUMN_NAMES.items():
        for name in names:
            if name in positions:
                found[field] = positions[name]
                break
    return found
