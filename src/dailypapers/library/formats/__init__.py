"""Reference formats: read BibTeX, RIS, CSL JSON and plain id lists; write BibTeX, RIS, CSL JSON.

Parsing is done by well-kept libraries (``bibtexparser`` 2, ``rispy``, the standard ``json``;
LaTeX by ``pylatexenc``); what is hand-written here is only what they do not do: finding the
arXiv id or DOI in the fields different tools use, splitting a RIS file into records so that a
broken record is reported with its line number while the others are kept, and the size and
encoding checks in :mod:`.reader`.
"""

from dailypapers.library.formats.entries import Entry, ParsedFile, Problem
from dailypapers.library.formats.reader import FORMATS, read_references

__all__ = ["FORMATS", "Entry", "ParsedFile", "Problem", "read_references"]
