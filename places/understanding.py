"""What a citizen typed in the search box: needs, a place, and the remaining words.

"aide pour ma déclaration de revenus à Rennes" is read as the need « Aide aux
démarches administratives » (a facet condition, from the thesaurus
`search_data/needs.yaml`), the place "Rennes", and no remaining words. The parsing
here is pure: recognising a place name is left to a callable the caller gives
(PlaceFilter asks the territories), so that this module needs no database.

Quoted words are taken literally: `"smartphone"` is searched as a word, not read as a
need. The page's « ✕ » on an understood need links to the same query with that
phrase quoted (`unquoted_without`).
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .models import POSTAL_CODE_PATTERN, normalize_name

NEEDS_FILE = Path(__file__).parent / "search_data" / "needs.yaml"
FACET_PARAMS = (
    "type",
    "service",
    "public",
    "frais",
    "accompagnement",
    "label",
    "equipement",
)
TOKEN = re.compile(r"[^\W_]+")
QUOTED = re.compile(r'"[^"]*"?')
POSTAL_CODE = re.compile(POSTAL_CODE_PATTERN)
# "12 rue de la Paix", "3 bis avenue Jean Jaurès", "place de la Mairie": a street.
STREET_WORDS = (
    "rue|avenue|av|bd|boulevard|place|pl|chemin|che|allee|impasse|imp|route|rte|quai|"
    "cours|square|passage|voie|faubourg|fg|esplanade|parvis|rond point|lotissement|"
    "residence|hameau|lieu dit|sentier|promenade|cite|ruelle|traverse|montee|mail|"
    "chaussee|carrefour|zone|za|zi|zac"
)
ADDRESS = re.compile(
    rf"^(?:\d+\s*(?:bis|ter|b|t)?\s+)?(?:{STREET_WORDS})\s+\S", re.IGNORECASE
)
NUMBERED_ADDRESS = re.compile(rf"^\d+\s*(?:bis|ter|b|t)?\s+(?:{STREET_WORDS})\s+\S")
MAX_PLACE_TOKENS = 6
ARTICLES = {"le", "la", "les", "l"}  # "Le Mans", "La Rochelle", "L'Isle-Adam"


class ThesaurusError(ValueError):
    """The needs file does not have the expected shape; the message says where."""


def word_key(token: str) -> str:
    """How a word is compared: lower case, no accents, no final s or x (plurals)."""
    token = normalize_name(token)
    if len(token) > 3 and token[-1] in "sx" and not token.endswith("ss"):
        token = token[:-1]
    return token


@dataclass(frozen=True)
class Need:
    """One entry of the thesaurus: what the page says, and the facet codes (OR-ed)."""

    label: str
    means: tuple[tuple[str, str], ...]  # (facet parameter, code)
    label_en: str = ""

    def codes(self, param: str) -> list[str]:
        return [code for p, code in self.means if p == param]


@dataclass
class Thesaurus:
    version: int
    stopwords: frozenset[str]
    phrases: dict[tuple[str, ...], Need]
    spellings: dict[str, str]
    not_places: frozenset[str] = frozenset()
    longest: int = 1

    @classmethod
    def read(cls, path: Path = NEEDS_FILE) -> "Thesaurus":
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = set(data) - {
            "version",
            "reviewed",
            "stopwords",
            "not_places",
            "spellings",
            "needs",
        }
        if unknown:
            raise ThesaurusError(f"{path.name}: unknown keys {sorted(unknown)}")
        stopwords = frozenset(word_key(str(w)) for w in data.get("stopwords") or [])
        thesaurus = cls(
            version=int(data["version"]),
            stopwords=stopwords,
            phrases={},
            spellings={
                word_key(str(k)): str(v)
                for k, v in (data.get("spellings") or {}).items()
            },
            not_places=frozenset(
                word_key(str(w)) for w in data.get("not_places") or []
            ),
        )
        for n, entry in enumerate(data.get("needs") or [], start=1):
            thesaurus.add(entry, f"{path.name}, need {n}")
        return thesaurus

    def add(self, entry: dict, where: str) -> None:
        unknown = set(entry) - {"label", "label_en", "means", "words", "words_en"}
        if unknown or not entry.get("means") or not entry.get("words"):
            raise ThesaurusError(
                f"{where}: expected `means` and `words` (and optional `label`, "
                "`label_en` and `words_en`)"
            )
        means = []
        for param, codes in entry["means"].items():
            if param not in FACET_PARAMS:
                raise ThesaurusError(f"{where}: `{param}` is not a facet parameter")
            means += [(param, str(code)) for code in codes]
        need = Need(
            label=str(entry.get("label") or ""),
            means=tuple(means),
            label_en=str(entry.get("label_en") or ""),
        )
        # English words are read on every page: a visitor may type them anywhere.
        for phrase in [*entry["words"], *(entry.get("words_en") or [])]:
            key = self.key(str(phrase))
            if not key:
                raise ThesaurusError(f"{where}: « {phrase} » is only stopwords")
            if key in self.phrases and self.phrases[key] != need:
                raise ThesaurusError(
                    f"{where}: « {phrase} » already means "
                    f"{self.phrases[key].label or self.phrases[key].means}"
                )
            self.phrases[key] = need
            self.longest = max(self.longest, len(key))

    def key(self, phrase: str) -> tuple[str, ...]:
        """A phrase as matched: its words' keys, without stopwords."""
        keys = (word_key(t) for t in TOKEN.findall(phrase))
        return tuple(k for k in keys if k and k not in self.stopwords)

    def needs(self) -> list[Need]:
        return list(dict.fromkeys(self.phrases.values()))


@functools.cache
def thesaurus() -> Thesaurus:
    return Thesaurus.read()


@dataclass
class Token:
    text: str  # as typed
    start: int
    end: int
    key: str
    quoted: bool
    stop: bool
    used: str = ""  # "need", "place"


@dataclass
class Understood:
    """What `understand` made of a query."""

    text: str
    needs: list[tuple[Need, str, tuple[int, int]]] = field(default_factory=list)
    place: str = ""  # words naming a place ("" when none)
    place_span: tuple[int, int] | None = None
    words: str = ""  # for the full-text search (quoted parts kept quoted)
    name_words: str = ""  # every word but stopwords and the place, for names
    all_words: str = ""  # the same and the quoted parts, for the full text
    # (as typed, as searched, span): misspellings of words places' names use
    corrections: list[tuple[str, str, tuple[int, int]]] = field(default_factory=list)

    def quoted(self, *spans: tuple[int, int]) -> str:
        """The query with the text of `spans` quoted: taken literally next time."""
        text = self.text
        for start, end in sorted(spans, reverse=True):
            text = f'{text[:start]}"{text[start:end]}"{text[end:]}'
        return text.strip()

    def without(self, span: tuple[int, int]) -> str:
        """The query without the text of `span`."""
        return " ".join(f"{self.text[: span[0]]} {self.text[span[1] :]}".split())


def tokenize(text: str, stopwords: frozenset[str]) -> list[Token]:
    quoted = [m.span() for m in QUOTED.finditer(text)]
    tokens = []
    for match in TOKEN.finditer(text):
        key = word_key(match[0])
        inside = any(s <= match.start() < e for s, e in quoted)
        tokens.append(
            Token(match[0], match.start(), match.end(), key, inside, key in stopwords)
        )
    return tokens


def understand(
    text: str,
    names_place: Callable[[list[str]], str | None] | None = None,
    words: Thesaurus | None = None,
    close_place: Callable[[str], bool] | None = None,
) -> Understood:
    """Split `text` into needs, a place and the remaining words. `names_place` is
    given candidate spans, best first, and returns the first that names a place
    exactly; `close_place` says whether the last words are a misspelt town."""
    words = words or thesaurus()
    result = Understood(text=text)
    tokens = tokenize(text, words.stopwords)
    found = None
    if names_place:  # "Cours-la-Ville", "Salles-sur-Mer": a town before its words
        found = hyphenated_place(text, tokens, names_place)
        mark(tokens, found, "place")
    content = [t for t in tokens if not t.stop and not t.quoted and not t.used]
    i = 0
    while i < len(content):
        for n in range(min(words.longest, len(content) - i), 0, -1):
            run = content[i : i + n]
            need = words.phrases.get(tuple(t.key for t in run))
            # A phrase is made of words typed next to each other (stopwords aside).
            if need and contiguous(tokens, run):
                span = (run[0].start, run[-1].end)
                result.needs.append((need, text[span[0] : span[1]], span))
                for t in run:
                    t.used = "need"
                i += n
                break
        else:
            i += 1
    if names_place and not found:
        found = find_place(text, tokens, names_place, words.not_places, close_place)
        mark(tokens, found, "place")
    if found:
        result.place_span = found
        result.place = text[found[0] : found[1]]
    remaining, named = [], []
    for t in tokens:
        if t.used == "place" or t.stop or t.quoted:
            continue
        correct = words.spellings.get(t.key)
        if correct:
            result.corrections.append((t.text, correct, (t.start, t.end)))
        named.append(correct or t.text)
        if not t.used:
            remaining.append(correct or t.text)
    phrases = [m[0] for m in QUOTED.finditer(text) if m[0].strip('"').strip()]
    closed = [p if p.endswith('"') and len(p) > 1 else p + '"' for p in phrases]
    result.words = " ".join(remaining + closed)
    result.name_words = " ".join(named)
    result.all_words = " ".join(named + closed)
    return result


def mark(tokens: list[Token], span: tuple[int, int] | None, use: str) -> None:
    for t in tokens:
        if span and span[0] <= t.start < span[1]:
            t.used = use


IN_PARENTHESES = re.compile(r"\s*\((?:[0-9]{2,3}|2[AaBb])\)")
HYPHENATED = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*-[^\W_]+(?:[-'’][^\W_]+)*")


def hyphenated_place(text, tokens, names_place) -> tuple[int, int] | None:
    groups = []
    for m in HYPHENATED.finditer(text):
        if any(t.quoted for t in tokens if m.start() <= t.start < m.end()):
            continue
        after = IN_PARENTHESES.match(text, m.end())  # "Saint-Denis (93)"
        groups.append((m.start(), after.end() if after else m.end()))
    if not groups:
        return None
    named = names_place([text[s:e] for s, e in groups])
    return next((s, e) for s, e in groups if text[s:e] == named) if named else None


def contiguous(tokens: list[Token], run: list[Token]) -> bool:
    first, last = tokens.index(run[0]), tokens.index(run[-1])
    return all(t.stop and not t.used for t in tokens[first : last + 1] if t not in run)


def ordinary(token: Token, not_places: frozenset[str]) -> bool:
    """An ordinary word that is also a place's name ("mer", "nord"), typed as a word:
    with a capital ("Nord", "Mer") it may be the place."""
    return token.key in not_places and not token.text[:1].isupper()


def find_place(
    text: str,
    tokens: list[Token],
    names_place: Callable[[list[str]], str | None],
    not_places: frozenset[str] = frozenset(),
    close_place: Callable[[str], bool] | None = None,
) -> tuple[int, int] | None:
    """The span of `text` that names a place: a street address, a postal code, or a
    run of words a territory is named (the last words first: "smartphone Rennes"),
    or else the last words when `close_place` takes them for a misspelt town."""
    runs: list[list[Token]] = [[]]
    for t in tokens:
        if t.used or t.quoted:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(t)
    runs = [run for run in runs if run]
    last = tokens[-1] if tokens else None
    spans: list[tuple[int, int]] = []
    for run in reversed(runs):
        for t in run:  # a street address runs to the end of its words
            if NUMBERED_ADDRESS.match(normalize_name(text[t.start : run[-1].end])):
                spans.append((t.start, run[-1].end))
                break
        spans += [(t.start, t.end) for t in run if POSTAL_CODE.match(t.text)]
        for size in range(min(MAX_PLACE_TOKENS, len(run)), 0, -1):
            for start in (len(run) - size, 0):
                chosen = run[start : start + size]
                first, end = chosen[0], chosen[-1]
                if (first.stop and first.key not in ARTICLES) or end.stop:
                    continue
                if size == 1 and (ordinary(first, not_places) or len(first.key) < 3):
                    continue
                stop = end.end
                if text[stop : stop + 1] == ")" and "(" in text[first.start : stop]:
                    stop += 1  # "Saint-Denis (93)"
                span = (first.start, stop)
                if span not in spans:
                    spans.append(span)
    named = names_place([text[s:e] for s, e in spans]) if spans else None
    if named:
        return next((s, e) for s, e in spans if text[s:e] == named)
    if close_place and runs and runs[-1][-1] is last:
        run = runs[-1]
        for size in (2, 1):
            chosen = run[-size:]
            if (
                len(chosen) == size
                and not any(t.stop for t in chosen)
                and not (size == 1 and ordinary(chosen[0], not_places))
            ):
                span = (chosen[0].start, chosen[-1].end)
                if len(text[span[0] : span[1]]) >= 4 and close_place(
                    text[span[0] : span[1]]
                ):
                    return span
    return None
