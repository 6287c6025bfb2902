"""German word forms for the search: tokenising, stemming and highlighting (no database here).

The same :func:`stem` is applied to the index and to the query, so "Anträge", "Antrag" and
"Kindergeldes"/"Kindergeld" meet. The Snowball German stemmer is followed by one extra rule, a
plural/genitive "s" ("Kitas" → "kita"), applied on both sides as well.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import islice

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


@lru_cache(maxsize=50_000)
def _forms(word: str) -> tuple[str, str]:
    return stem(word), fold(word)


def words(text: str) -> list[str]:
    return WORD.findall(text or "")


def index_text(text: str) -> str:
    """The stemmed form of ``text`` for the index (one token per word)."""
    return " ".join(stem(w) for w in words(text))


#: as you type, the word may already run past its indexed stem ("Anmeldu…" of "Anmeldung", stem
#: "anmeld"): the last word also matches the whole stems it could be typing on — its own
#: beginnings, down to this many letters fewer (the suffixes the stemmer removes, "-igung", have
#: at most 5) …
STEM_SUFFIX_MAX = 5
#: … but none shorter than this (beginnings of short words would match unrelated stems)
STEM_PREFIX_MIN = 5


def typed_stems(folded: str) -> list[str]:
    """The stems the folded, partly typed word ``folded`` may be on its way through."""
    return [folded[:k] for k in range(max(STEM_PREFIX_MIN, len(folded) - STEM_SUFFIX_MAX), len(folded))]


def query_terms(query: str, limit: int = 8) -> list[tuple[str, str]]:
    """``(stem, folded)`` per query word, at most ``limit`` words, one-letter words dropped
    except as the last (as-you-type) word."""
    raw = words(query)[:limit]
    return [(stem(w), fold(w)) for w in raw if len(w) >= MIN_PREFIX]


class Matcher:
    """Tells whether a word of the original text matches one of the terms (call it with the word);
    it remembers its answers, so make one per query."""

    __slots__ = ("exact", "prefixes", "yes", "no")

    def __init__(self, terms: list[tuple[str, str]], prefix_last: bool = True):
        self.exact = {s for s, _ in terms}
        self.prefixes = tuple({terms[-1][0], terms[-1][1]}) if terms and prefix_last else ()
        if self.prefixes:
            self.exact.update(typed_stems(terms[-1][1]))
        self.yes: set[str] = set()
        self.no: set[str] = set()

    def __call__(self, word: str) -> bool:
        if word in self.yes:
            return True
        if word in self.no:
            return False
        stemmed, folded = _forms(word)
        found = stemmed in self.exact or (bool(self.prefixes) and (stemmed.startswith(self.prefixes)
                                                                   or folded.startswith(self.prefixes)))
        (self.yes if found else self.no).add(word)
        return found

    def hits(self, words) -> set[str]:
        """The matching words among ``words``."""
        words = set(words)
        for word in words - self.yes - self.no:
            self(word)
        return words & self.yes

    def first(self, words: list[str]) -> int | None:
        """The index of the first matching word of ``words``, or None."""
        yes, no = self.yes, self.no
        for i, word in enumerate(words):
            if word in yes:
                return i
            if word not in no and self(word):
                return i
        return None


def matcher(terms: list[tuple[str, str]], prefix_last: bool = True) -> Matcher:
    """A predicate telling whether a word of the original text matches one of the terms."""
    return Matcher(terms, prefix_last)


def _escape(text: str) -> str:
    return str(escape(text)) if text else ""


#: characters of text tokenised first while looking for the snippet window (doubling after that)
_CHUNK = 200


def _snippet_words(text: str, match: Matcher, window: int) -> tuple[int, int, bool]:
    """``(lo, hi, cut_end)``: the word range of the snippet and whether text follows it. Tokenises
    the text chunk by chunk only as far as needed: to the first match plus the window (or to the
    end when nothing matches). ``(0, n, False)`` when the text has at most ``window`` words."""
    words: list[str] = []
    first, need, pos, size, chunk_size = None, window + 1, 0, len(text), _CHUNK
    while pos < size:
        stop = pos + chunk_size
        chunk_size *= 2
        if stop < size:
            rest = WORD.match(text, stop)  # never split a word between chunks
            stop = rest.end() if rest else stop
        chunk = WORD.findall(text, pos, stop)
        if first is None:
            found = match.first(chunk)
            if found is not None:
                first = len(words) + found
                need = max(0, first - window // 3) + window + 1
        words += chunk
        pos = stop
        if first is not None and len(words) >= need:
            break  # the window is complete and text follows it
    n = len(words)
    if n <= window:
        return 0, n, False
    lo = max(0, (first or 0) - window // 3)
    hi = min(n, lo + window)
    lo = max(0, hi - window)
    return lo, hi, hi < n or pos < size


def highlight(text: str, match, window: int = 0) -> Markup:
    """``text`` escaped, with matching words wrapped in ``<mark>``; with ``window`` only about that
    many words around the first match (with "…" where cut).

    Only the snippet is worked on: the text is tokenised just as far as the window reaches, only
    the window's words are matched and marked (a :class:`Matcher` remembers its answers), and the
    text is escaped piece by piece between the marks (words need no escaping) and made
    :class:`Markup` once.
    """
    text = text or ""
    if not isinstance(match, Matcher):
        match = _Predicate(match)
    start, end = 0, len(text)
    if window:
        lo, hi, cut_end = _snippet_words(text, match, window)
        tokens = list(islice(WORD.finditer(text), lo, hi))
        if tokens:
            start = tokens[0].start() if lo > 0 else 0
            end = tokens[-1].end() if cut_end else len(text)
    else:
        tokens = WORD.finditer(text) if match.hits(WORD.findall(text)) else ()
    parts, pos, yes, no = [], start, match.yes, match.no
    for t in tokens:
        word = t.group()
        if word in yes or (word not in no and match(word)):
            parts.append(_escape(text[pos:t.start()]))
            parts.append(f"<mark>{word}</mark>")
            pos = t.end()
    parts.append(_escape(text[pos:end]))
    out = "".join(parts)
    if start > 0:
        out = "… " + out
    if end < len(text):
        out += " …"
    return Markup(out)


class _Predicate(Matcher):
    """A :class:`Matcher` around any predicate on words."""

    __slots__ = ("predicate",)

    def __init__(self, predicate):
        super().__init__([])
        self.predicate = predicate

    def __call__(self, word: str) -> bool:
        if word in self.yes:
            return True
        if word in self.no:
            return False
        found = bool(self.predicate(word))
        (self.yes if found else self.no).add(word)
        return found
