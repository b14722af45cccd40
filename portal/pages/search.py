"""Self-help pages in the one search (``portal.triage.search``), beside the complaints.

A page is found by its title, keywords and synonyms, its summary, and the words of
its body (whole words only, counting least), in either language; the patient gets
the page in their own language.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from ..triage.lexicon import Lexicon
from ..triage.model import Tree
from ..triage.search import SUMMARY, TERM, TITLE, Document, SearchIndex, order_key, tree_document
from .model import Page


def page_document(versions: Sequence[Page]) -> Document:
    """One document for a page's language versions (the same slug)."""
    fields: list[tuple[str, float, str]] = []
    bodies: list[tuple[str, str]] = []
    for page in versions:
        fields.append((page.language, TITLE, page.title))
        fields += [(page.language, TERM, k) for k in (*page.keywords, *page.synonyms)]
        fields.append((page.language, SUMMARY, page.summary))
        bodies.append((page.language, page.body_text))
    title = next((p.title for p in versions if p.language == "nl"), versions[0].title)
    return Document(("page", versions[0].slug), tuple(fields), tuple(bodies), order=(10_000, title))


def build_index(trees: Iterable[Tree], pages: Iterable[Page], lexicon: Lexicon | None) -> SearchIndex:
    """The index of every complaint (the catch-all tree is not one) and every self-help page."""
    inputs = (tuple(trees), tuple(pages), lexicon)
    index = _by_inputs(inputs)
    if index is None:
        index = _build_index(*inputs)
        _remember_inputs(inputs, index)
    return index


def _build_index(trees: Iterable[Tree], pages: Iterable[Page], lexicon: Lexicon | None) -> SearchIndex:
    by_slug: dict[str, list[Page]] = {}
    for page in pages:
        by_slug.setdefault(page.slug, []).append(page)
    complaints = sorted((t for t in trees if not t.catch_all), key=lambda t: order_key(t, "nl"))
    documents = (
        *(tree_document(t, lexicon) for t in complaints),
        *(page_document(v) for _s, v in sorted(by_slug.items())),
    )
    return _index_of(documents)


#: Indexes kept by their documents: every app in a process (each test's, each worker's) loads
#: the same content, and building the index is most of what loading costs once the trees
#: are checked (``portal.triage.rules``). An index is a function of its documents' texts
#: alone (the documents are compared by value), so a changed text builds a new one.
_INDEXES: OrderedDict[tuple[Document, ...], SearchIndex] = OrderedDict()
_INDEXES_KEPT = 4
_INDEXES_LOCK = threading.Lock()


#: Indexes kept by the very tree, page and lexicon objects they were built from (compared by
#: identity, held here so no id is reused): the apps of one process share loaded files
#: (``portal.content.live.SharedLoads``), and making the documents only to look the index up
#: by them cost a third of building an app's index. The objects are immutable and the
#: documents a function of them alone; another object (any file loaded again) is looked up
#: by its documents above, so a changed text builds a new index.
_BY_INPUTS: list[tuple[tuple[tuple[Tree, ...], tuple[Page, ...], Lexicon | None], SearchIndex]] = []


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _by_inputs(inputs: tuple[tuple[Tree, ...], tuple[Page, ...], Lexicon | None]) -> SearchIndex | None:
    trees, pages, lexicon = inputs
    with _INDEXES_LOCK:
        for (kept_trees, kept_pages, kept_lexicon), index in _BY_INPUTS:
            if kept_lexicon is lexicon and _same(kept_trees, trees) and _same(kept_pages, pages):
                return index
    return None


def _remember_inputs(inputs: tuple[tuple[Tree, ...], tuple[Page, ...], Lexicon | None], index: SearchIndex) -> None:
    with _INDEXES_LOCK:
        _BY_INPUTS.insert(0, (inputs, index))
        del _BY_INPUTS[_INDEXES_KEPT:]


def _index_of(documents: tuple[Document, ...]) -> SearchIndex:
    with _INDEXES_LOCK:
        index = _INDEXES.get(documents)
        if index is not None:
            _INDEXES.move_to_end(documents)
            return index
    index = SearchIndex(documents)
    with _INDEXES_LOCK:
        _INDEXES[documents] = index
        while len(_INDEXES) > _INDEXES_KEPT:
            _INDEXES.popitem(last=False)
    return index


def search_pages(pages: Iterable[Page], query: str) -> list[Page]:
    """Pages for the query, best first, in the language of the pages given.

    For tools and tests that hold a set of pages; the portal searches the live index
    (``Content.search_index``), which is built once when the content loads.
    """
    pages = tuple(pages)
    by_slug = {p.slug: p for p in pages}
    locale = pages[0].language if pages else "nl"
    return [by_slug[hit.id[1]] for hit in build_index((), pages, None).search(query, locale, "page")]
