"""The raw sources, as shipped in PyPI packages: conversations, Q&A pairs and rated sentences.

- `chitchat-dataset`: crowd-sourced conversations (message -> next message).
- `chatterbot-corpus`: YAML question/answer conversations per category.
- `vaderSentiment` sdist: `additional_resources/hutto_ICWSM_2014.tar.gz` with four
  `*_GroundTruth.txt` files of sentences and mean human ratings in [-4, 4]. Only the sdist
  carries them, so it is fetched with `pip download` into the cache and read in memory.
"""

from __future__ import annotations

import html
import importlib.metadata
import io
import json
import logging
import tarfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from mtassist.contracts import SENTIMENT_NEUTRAL_BAND
from mtassist.data.fetch import last_line, pip_download
from mtassist.errors import MtassistError

logger = logging.getLogger(__name__)

VADER_VERSION = "3.3.2"
VADER_SDIST = f"vaderSentiment-{VADER_VERSION}.tar.gz"
VADER_INNER_TARBALL = "additional_resources/hutto_ICWSM_2014.tar.gz"
VADER_CORPORA: dict[str, str] = {
    "amazonReviewSnippets": "amazon",
    "movieReviewSnippets": "movies",
    "nytEditorialSnippets": "nyt",
    "tweets": "tweets",
}
"""Ground-truth file prefix -> the short corpus name used in `source` ("vader-<corpus>")."""

PACKAGES: dict[str, str] = {
    "home-assistant-intents": "home-assistant-intents",
    "hassil": "hassil",
    "chitchat-dataset": "chitchat-dataset",
    "chatterbot-corpus": "chatterbot-corpus",
}


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SourceError(MtassistError, RuntimeError):
    """A raw source is missing or unreadable; the message says which and what to do."""


@dataclass(frozen=True)
class Conversation:
    """An ordered list of turns; `category` is the chatterbot file stem, if any."""

    conversation_id: str
    turns: tuple[str, ...]
    category: str | None = None


@dataclass(frozen=True)
class RatedSentence:
    """A sentence with its mean human sentiment rating in [-4, 4]."""

    corpus: str
    sentence_id: str
    rating: float
    text: str

    @property
    def group(self) -> str:
        """Sentences of one review or editorial ("12_3" -> "12") share a group."""
        return f"vader-{self.corpus}:{self.sentence_id.split('_', 1)[0]}"


def sentiment_label(rating: float, band: float = SENTIMENT_NEUTRAL_BAND) -> str:
    """negative below -band, positive above +band, neutral in between."""
    if rating < -band:
        return "negative"
    if rating > band:
        return "positive"
    return "neutral"


def _package_dir(module: str, package: str) -> Path:
    try:
        spec_module = __import__(module)
    except ImportError as err:
        raise SourceError(
            f"the {package} package is not installed ({err}): install the project's "
            "dependencies (pip install -e .) and run again"
        ) from err
    return Path(spec_module.__file__).parent  # type: ignore[arg-type]


def load_chitchat_conversations() -> list[Conversation]:
    """Every conversation of chitchat-dataset, by id; a turn joins one speaker's messages."""
    return list(_chitchat_conversations())


@lru_cache(maxsize=1)
def _chitchat_conversations() -> tuple[Conversation, ...]:
    path = _package_dir("chitchat_dataset", "chitchat-dataset") / "dataset.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SourceError(f"chitchat-dataset: cannot read {path} ({err}): reinstall chitchat-dataset==0.9.0") from err
    conversations = []
    for conversation_id in sorted(data):
        turns = tuple(
            " ".join(m["text"].strip() for m in turn if m.get("text", "").strip())
            for turn in data[conversation_id]["messages"]
        )
        conversations.append(Conversation(conversation_id, tuple(t for t in turns if t)))
    logger.info("chitchat-dataset: %d conversations", len(conversations))
    return tuple(conversations)


def load_chatterbot_conversations(language: str = "english") -> list[Conversation]:
    """Every conversation of chatterbot-corpus in `language`, with its category file."""
    folder = _package_dir("chatterbot_corpus", "chatterbot-corpus") / "data" / language
    files = sorted(folder.glob("*.yml"))
    if not files:
        raise SourceError(f"chatterbot-corpus: no YAML files under {folder}: reinstall chatterbot-corpus==1.3.3")
    conversations = []
    for path in files:
        try:
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        except (OSError, yaml.YAMLError) as err:
            raise SourceError(f"chatterbot-corpus: cannot parse {path} ({err})") from err
        for index, turns in enumerate(document.get("conversations") or []):
            texts = tuple(str(t).strip() for t in turns if t is not None and str(t).strip())
            conversations.append(Conversation(f"{path.stem}:{index}", texts, path.stem))
    logger.info("chatterbot-corpus: %d conversations in %d files", len(conversations), len(files))
    return conversations


def fetch_vader_sdist(cache_dir: Path) -> Path:
    """The vaderSentiment sdist in `<cache_dir>/sources`, downloaded with pip if absent."""
    folder = Path(cache_dir) / "sources"
    target = folder / VADER_SDIST
    if target.is_file():
        return target
    logger.info("downloading %s into %s", VADER_SDIST, folder)
    completed = pip_download(f"vaderSentiment=={VADER_VERSION}", folder, source_distribution=True)
    if completed.returncode != 0 or not target.is_file():
        raise SourceError(
            f"vaderSentiment: pip could not download vaderSentiment=={VADER_VERSION} "
            f"({last_line(completed)}): check access to the package index, or place the sdist "
            f"at {target}"
        )
    return target


def parse_ground_truth(data: bytes, corpus: str) -> list[RatedSentence]:
    """Rows of a `*_GroundTruth.txt` file: id TAB mean rating TAB sentence (CRLF or LF)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t", 2)
        if len(fields) != 3:
            raise SourceError(
                f"vaderSentiment: {corpus} ground truth line {number} has {len(fields)} "
                "tab-separated fields, expected 3: the sdist is corrupt; delete it and run again"
            )
        sentence_id, rating, sentence = fields
        try:
            value = float(rating)
        except ValueError as err:
            raise SourceError(
                f"vaderSentiment: {corpus} ground truth line {number} has rating {rating!r}: "
                "the sdist is corrupt; delete it and run again"
            ) from err
        cleaned = " ".join(_unescape(sentence).split())
        if cleaned:
            rows.append(RatedSentence(corpus, sentence_id.strip(), value, cleaned))
    return rows


def _unescape(text: str) -> str:
    """HTML entities, some escaped twice in the source ("&amp;amp;")."""
    for _ in range(3):
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    return text


def load_vader_ratings(cache_dir: Path) -> list[RatedSentence]:
    """Every rated sentence of the four VADER ground-truth corpora."""
    sdist = fetch_vader_sdist(cache_dir)
    stat = sdist.stat()
    return list(_read_vader_sdist(sdist.resolve(), stat.st_size, stat.st_mtime_ns))


@lru_cache(maxsize=2)
def _read_vader_sdist(sdist: Path, size: int, mtime_ns: int) -> tuple[RatedSentence, ...]:
    """The parsed sdist; `size` and `mtime_ns` make a replaced file a new cache entry."""
    try:
        with tarfile.open(sdist) as outer:
            inner_name = next((m for m in outer.getnames() if m.endswith(VADER_INNER_TARBALL)), None)
            if inner_name is None:
                raise SourceError(
                    f"vaderSentiment: {sdist} has no {VADER_INNER_TARBALL}: it is not the "
                    f"vaderSentiment {VADER_VERSION} sdist; delete it and run again"
                )
            inner_bytes = outer.extractfile(inner_name).read()  # type: ignore[union-attr]
        rows: list[RatedSentence] = []
        with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
            for member in sorted(inner.getmembers(), key=lambda m: m.name):
                stem = Path(member.name).name.removesuffix("_GroundTruth.txt")
                wanted = member.name.endswith("_GroundTruth.txt") and stem in VADER_CORPORA
                if member.isfile() and wanted:
                    data = inner.extractfile(member).read()  # type: ignore[union-attr]
                    rows.extend(parse_ground_truth(data, VADER_CORPORA[stem]))
    except (tarfile.TarError, OSError, EOFError) as err:
        raise SourceError(
            f"vaderSentiment: cannot read {sdist} ({' '.join(str(err).split())}): "
            "the download is corrupt; delete it and run again"
        ) from err
    corpora = {row.corpus for row in rows}
    missing = sorted(set(VADER_CORPORA.values()) - corpora)
    if missing:
        raise SourceError(
            f"vaderSentiment: {sdist} lacks the ground truth of {', '.join(missing)}: delete it and run again"
        )
    logger.info("vaderSentiment: %d rated sentences", len(rows))
    return tuple(rows)


def source_versions() -> dict[str, str]:
    """Source package name -> version, for the dataset manifest."""
    versions = {}
    for name, dist in PACKAGES.items():
        try:
            versions[name] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "missing"
    versions["vaderSentiment"] = VADER_VERSION
    return dict(sorted(versions.items()))
