"""German word forms for the search: tokenising, stemming and highlighting (no database here).

The same :func:`stem` is applied to the index and to the query, so "Anträge", "Antrag" and
"Kindergeldes"/"Kindergeld" meet. The Snowball German stemmer is followed by one extra rule, a
plural/genitive "s" ("Kitas" → "kita"), applied on both sides as well.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer
from markupsafe import Markup, escape

WORD = re.compile(r"\w+", re.UNICODE)
_stemmer = snowballstemmer.stemmer("german")
MIN_PREFIX = 2


@lru_cache(maxsize=50_000)
def fold(word: str) -> str:
    """Lower case without diacritics (ä → a, ß → ss), as the FTS5 tokenizer sees it."""
    word = word.lower().replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    result = fold(_stemmer.stemWord(word.lower()))
    if len(result) >= 5 and result.endswith("s") and not result.endswith("ss"):
        result = result[:-1]
    return result


def words(text: str) -> list[str]:
    return WORD.findall(text or "")


def index_text(text: str) -> str:
    """The stemmed form of ``text`` for the index (one token per word)."""
    return " ".join(stem(w) for w in words(text))


def query_terms(query: str, limit: int = 8) -> list[tuple[str, str]]:
    """``(stem, folded)`` per query word, at most ``limit`` words, one-letter words dropped
    except as the last (as-you-type) word."""
    raw = words(query)[:limit]
    return [(stem(w), fold(w)) for w in raw if len(w) >= MIN_PREFIX]


def matcher(terms: list[tuple[str, str]], prefix_last: bool = True):
    """A predicate telling whether a word of the original text matches one of the terms."""
    exact = {s for s, _ in terms}
    prefixes = set()
    if terms and prefix_last:
        prefixes = {terms[-1][0], terms[-1][1]}

    seen: dict[str, bool] = {}

    def match(word: str) -> bool:
        found = seen.get(word)
        if found is None:
            s = stem(word)
            found = s in exact or any(s.startswith(p) or fold(word).startswith(p) for p in prefixes)
            seen[word] = found
        return found

    return match


def highlight(text: str, match, window: int = 0) -> Markup:
    """``text`` escaped, with matching words wrapped in ``<mark>``; with ``window`` only about that
    many words around the first match (with "…" where cut)."""
    text = text or ""
    tokens = list(WORD.finditer(text))
    start, end = 0, len(text)
    if window and len(tokens) > window:
        first = next((i for i, t in enumerate(tokens) if match(t.group())), 0)
        lo = max(0, first - window // 3)
        hi = min(len(tokens), lo + window)
        lo = max(0, hi - window)
        start = tokens[lo].start() if lo > 0 else 0
        end = tokens[hi - 1].end() if hi < len(tokens) else len(text)
        tokens = tokens[lo:hi]
    parts, pos = [], start
    for t in tokens:
        if match(t.group()):
            parts.append(escape(text[pos:t.start()]))
            parts.append(Markup("<mark>") + escape(t.group()) + Markup("</mark>"))
            pos = t.end()
    parts.append(escape(text[pos:end]))
    out = Markup("").join(parts)
    if start > 0:
        out = Markup("… ") + out
    if end < len(text):
        out = out + Markup(" …")
    return out
