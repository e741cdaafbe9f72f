"""The raw sources: chitchat, chatterbot and the VADER ratings from the vaderSentiment sdist."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from mtassist.data import sources
from mtassist.data.sources import (
    RatedSentence,
    SourceError,
    fetch_vader_sdist,
    load_chatterbot_conversations,
    load_chitchat_conversations,
    load_vader_ratings,
    parse_ground_truth,
    sentiment_label,
    source_versions,
)


@pytest.mark.parametrize(
    ("rating", "label"),
    [(-4.0, "negative"), (-0.51, "negative"), (-0.5, "neutral"), (0.0, "neutral"),
     (0.5, "neutral"), (0.51, "positive"), (3.2, "positive")],
)  # fmt: skip
def test_sentiment_label_splits_ratings_at_the_neutral_band(rating: float, label: str) -> None:
    assert sentiment_label(rating) == label


def test_parse_ground_truth_reads_crlf_rows_and_unescapes_html() -> None:
    data = b"1_1\t-0.9\tno picture &amp; no sound\r\n1_2\t2.5\tgreat  value\r\n\r\n"
    rows = parse_ground_truth(data, "amazon")
    assert rows == [
        RatedSentence("amazon", "1_1", -0.9, "no picture & no sound"),
        RatedSentence("amazon", "1_2", 2.5, "great value"),
    ]


def test_parse_ground_truth_falls_back_to_cp1252_when_not_utf8() -> None:
    rows = parse_ground_truth(b"7\t1.0\tcaf\xe9 was nice\n", "tweets")
    assert rows[0].text == "café was nice"


def test_parse_ground_truth_names_the_corpus_and_line_of_a_malformed_row() -> None:
    with pytest.raises(SourceError, match=r"nyt ground truth line 2 .*corrupt"):
        parse_ground_truth(b"1_1\t0.2\tfine\nbroken line without tabs\n", "nyt")


def test_a_rated_sentence_groups_with_its_review_by_id_prefix() -> None:
    assert RatedSentence("amazon", "12_3", 1.0, "x").group == "vader-amazon:12"
    assert RatedSentence("tweets", "4200", 1.0, "x").group == "vader-tweets:4200"


def test_load_vader_ratings_reads_all_four_corpora_from_the_sdist(source_cache: Path) -> None:
    rows = load_vader_ratings(source_cache)
    assert (source_cache / "sources" / sources.VADER_SDIST).is_file()
    by_corpus = {corpus: [r for r in rows if r.corpus == corpus] for corpus in ("amazon", "movies", "nyt", "tweets")}
    assert all(len(found) > 3000 for found in by_corpus.values()), {k: len(v) for k, v in by_corpus.items()}
    assert 23000 < len(rows) < 24500
    assert all(-4.0 <= r.rating <= 4.0 and r.text for r in rows)
    assert not any("&amp;" in r.text or "\r" in r.text for r in rows)


def test_fetch_vader_sdist_says_what_to_do_when_pip_cannot_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_pip(command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        assert "vaderSentiment==3.3.2" in command and "--no-binary" in command
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution")

    monkeypatch.setattr(subprocess, "run", failing_pip)
    with pytest.raises(SourceError) as caught:
        fetch_vader_sdist(tmp_path)
    message = str(caught.value)
    assert "pip could not download vaderSentiment==3.3.2" in message
    assert "No matching distribution" in message
    assert str(tmp_path / "sources" / sources.VADER_SDIST) in message


def test_fetch_vader_sdist_uses_the_cached_file_without_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cached = tmp_path / "sources" / sources.VADER_SDIST
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"placeholder")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("pip was called"))
    assert fetch_vader_sdist(tmp_path) == cached


def test_load_vader_ratings_reports_a_corrupt_sdist(tmp_path: Path) -> None:
    cached = tmp_path / "sources" / sources.VADER_SDIST
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"this is not a tarball")
    with pytest.raises(SourceError, match=r"vaderSentiment: cannot read .*corrupt; delete it"):
        load_vader_ratings(tmp_path)


def test_load_vader_ratings_reports_an_sdist_without_the_rating_corpus(tmp_path: Path) -> None:
    cached = tmp_path / "sources" / sources.VADER_SDIST
    cached.parent.mkdir(parents=True)
    with tarfile.open(cached, "w:gz") as archive:
        payload = b"not the corpus"
        info = tarfile.TarInfo("vaderSentiment-3.3.2/README.rst")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    with pytest.raises(SourceError, match="has no additional_resources/hutto_ICWSM_2014.tar.gz"):
        load_vader_ratings(tmp_path)


def test_chitchat_conversations_are_turns_of_text_with_unique_ids() -> None:
    conversations = load_chitchat_conversations()
    assert len(conversations) > 7000
    assert len({c.conversation_id for c in conversations}) == len(conversations)
    assert all(turn.strip() == turn and turn for c in conversations[:200] for turn in c.turns)
    assert sum(len(c.turns) > 1 for c in conversations) > 3500


def test_chatterbot_conversations_carry_their_category() -> None:
    conversations = load_chatterbot_conversations()
    categories = {c.category for c in conversations}
    assert {"greetings", "conversations", "trivia", "tech_support", "science"} <= categories
    greetings = [c for c in conversations if c.category == "greetings"]
    assert any(len(c.turns) >= 2 for c in greetings)
    assert all(c.conversation_id.startswith(f"{c.category}:") for c in conversations)


def test_source_versions_name_every_package_the_dataset_comes_from() -> None:
    versions = source_versions()
    assert set(versions) == {
        "chatterbot-corpus", "chitchat-dataset", "hassil", "home-assistant-intents", "vaderSentiment",
    }  # fmt: skip
    assert versions["vaderSentiment"] == "3.3.2"
    assert "missing" not in versions.values()
