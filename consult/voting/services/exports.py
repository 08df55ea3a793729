"""Open data: a published round's ballots as a pabulib ``.pb`` file and a CSV, built once.

Ballots cannot change after publication, so the files are written at publication, while
the count streams the ballots by (``Builder`` is the count's sink), into the exports
directory, named by round, format and SHA-256; a ``VoteExport`` row keeps the name,
digest and size. Downloads stream the stored file; nothing is counted per request.
A round published before files were kept, or whose file is missing (another machine's
disk, a lost directory), gets its files built on the first request that needs them.

Exports are anonymous and shuffled: the ballots are shuffled once, when the files are
built, and numbered 1…N after shuffling, so neither order nor number tells who voted.
The shuffle is a scatter shuffle with bounded memory: every ballot goes to one of up to
256 temporary buckets by a random byte (``os.urandom``), then each bucket is shuffled
(``_shuffle``: sorted on random keys from ``os.urandom``) and written out; every order
is equally likely. The files are written a bucket at a time (``csv.writer.writerows``
over the bucket), not a ballot at a time: at a million ballots that is most of
publication's time saved.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import os
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.clock import utcnow
from consult.errors import NotFound
from consult.i18n import N_
from consult.voting import pabulib, rules
from consult.voting.models import Ballot, VoteExport, VoteResult
from consult.voting.services.counting import counted_lines
from consult.voting.services.rounds import (
    IdeaOnBallot,
    VoteRound,
    ideas_on_ballot,
    published_result,
)

VOTE_TYPES = {"approval": "approval", "approval_budget": "approval", "choose_one": "choose-1",
              "cumulative": "cumulative", "ordinal": "ordinal"}
FORMATS = ("pb", "csv")
#: ballots per shuffle bucket, roughly (at most 256 buckets)
BUCKET_BALLOTS = 20_000
_CHUNK = 1 << 16

_directory: Path | None = None


def configure(directory: Path) -> None:
    """Where export files are kept; unset, ``exports`` in the environment's media directory
    (``CONSULT_MEDIA_DIR``, shared by every worker like the photos). Tests set their own."""
    global _directory
    _directory = Path(directory)


def directory() -> Path:
    if _directory is None:
        from consult.config import Settings

        configure(Settings.from_env().media_dir / "exports")
    assert _directory is not None
    return _directory


def _not_published() -> NotFound:
    return NotFound(N_("The results of this vote are not published yet. They are published after the vote closes."))


# -- what the files say -------------------------------------------------------------------


def head(vr: VoteRound, result: VoteResult, ideas: list[IdeaOnBallot]
         ) -> tuple[dict[str, str], list[pabulib.PbProject]]:
    """The ``.pb`` file's META and PROJECTS for a published result."""
    p = result.parameters
    unit = int(p.get("money_unit_fen") or 100)
    kind = p.get("ballot_kind", vr.settings.ballot_kind)
    meta = {
        "description": vr.consultation.title, "country": "China", "unit": vr.scope.name,
        "instance": str(vr.consultation.year), "num_projects": str(len(ideas)),
        "num_votes": "0", "budget": str((p.get("budget_fen") or 0) // unit),
        "vote_type": VOTE_TYPES[kind], "rule": result.rule,
        "currency": "CNY" if unit == 100 else "CNY fen",
    }
    if kind in ("approval", "approval_budget", "ordinal") and p.get("min_choices"):
        meta["min_length"] = str(p["min_choices"])
    if kind in ("approval", "approval_budget") and p.get("max_choices"):
        meta["max_length"] = str(p["max_choices"])
    if kind == "choose_one":
        meta["min_length"] = meta["max_length"] = "1"
    if kind == "ordinal":
        meta["max_length"] = str(p.get("ranking_length"))
    if kind == "approval_budget":
        meta["max_sum_cost"] = meta["budget"]
    if kind == "cumulative":
        meta["max_sum_points"] = str(p.get("max_points"))
        if p.get("max_points_per_idea"):
            meta["max_points"] = str(p["max_points_per_idea"])
    if p.get("min_score") is not None and (result.rule == "greedy-threshold" or p["min_score"] > 0):
        meta["min_project_score_threshold"] = str(p["min_score"])
    if p.get("k") is not None and result.rule == "top-k":
        meta["k"] = str(p["k"])
    meta["ballot_digest"] = result.ballot_digest
    chosen = set(result.selected)
    score_column = "votes" if kind in rules.APPROVAL_KINDS else "score"
    projects = [pabulib.PbProject(str(i.id), (i.cost_fen or 0) // unit, {
        score_column: str(result.scores.get(str(i.id), 0)), "name": i.title,
        "category": i.category_name, "selected": "1" if i.id in chosen else "0"}) for i in ideas]
    return meta, projects


def vote_of(kind: str, line: str, points: str) -> tuple[str, str | None]:
    """A canonical ballot line (``rules.canonical_ballot``, with an ordinal ballot's points)
    as a file's vote: the project ids "a,b,c" and the points "1,2,3" (None for approval)."""
    if kind == "cumulative":
        pairs = [item.partition(":") for item in line.split(",")] if line else []
        return ",".join(i for i, _, _ in pairs), ",".join(p for _, _, p in pairs)
    if kind == "ordinal":
        return line.replace(">", ","), points
    return line, None


# -- building -----------------------------------------------------------------------------


def _shuffle(lines: list[str]) -> list[str]:
    """The lines in a uniformly random order, by sorting them on random 64-bit keys from
    the operating system's generator (``os.urandom``); should two keys be equal (about
    once in 10¹² shuffles of a bucket), ``random.SystemRandom`` shuffles instead. Either
    way every order is equally likely; this is the module's per-bucket shuffle, done in C."""
    import numpy as np

    if len(lines) < 2:
        return lines
    keys = np.frombuffer(os.urandom(8 * len(lines)), dtype=np.uint64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    if bool((ordered[1:] == ordered[:-1]).any()):
        random.SystemRandom().shuffle(lines)
        return lines
    return np.array(lines, dtype=object)[order].tolist()


def _shuffled(buckets: list[IO[str]]) -> Iterator[list[str]]:
    """The lines of every bucket, each bucket shuffled (the module's scatter shuffle)."""
    for bucket in buckets:
        bucket.seek(0)
        yield _shuffle(bucket.read().splitlines())


class Builder:
    """Takes the counted ballots as the count streams them (``add``), then writes the
    files (``write``). Use as a context manager: the temporary buckets are removed."""

    def __init__(self, kind: str, ballots: int):
        self.kind = kind
        count = 1
        while count < 256 and count * BUCKET_BALLOTS < ballots:
            count *= 2  # a power of two: a random byte picks a bucket without bias
        self._buckets: list[IO[str]] = [tempfile.TemporaryFile("w+", encoding="ascii", newline="\n")
                                        for _ in range(count)]
        self._mask = count - 1
        self.ballots = 0
        #: the files' votes have points (cumulative, ordinal)
        self.points = kind in ("cumulative", "ordinal")

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc) -> None:
        for bucket in self._buckets:
            bucket.close()

    def add(self, lines: list[str]) -> None:
        """Ballots as the count streams them (``rules.counted_line`` each), each to a
        bucket picked by a random byte."""
        parts: list[list[str]] = [[] for _ in self._buckets]
        mask = self._mask
        for line, byte in zip(lines, os.urandom(len(lines)), strict=True):
            parts[byte & mask].append(line)
        for bucket, part in zip(self._buckets, parts, strict=True):
            if part:
                bucket.write("\n".join(part) + "\n")
        self.ballots += len(lines)

    def _chunks(self) -> Iterator[tuple[list[str], list[str], list[str] | None]]:
        """The votes, bucket by bucket, each bucket shuffled, numbered 1…N in that order:
        (voter ids, project ids "a,b", points "1,2" or None for approval)."""
        number = 1
        for lines in _shuffled(self._buckets):
            voters = list(map(str, range(number, number + len(lines))))
            number += len(lines)
            if not self.points:
                yield voters, lines, None
                continue
            pairs = [vote_of(self.kind, *rules.split_counted_line(item)) for item in lines]
            yield voters, [v for v, _ in pairs], [p or "" for _, p in pairs]

    def write(self, round_id: int, meta: dict[str, str], projects: list[pabulib.PbProject]
              ) -> list[VoteExport]:
        """Write the ``.pb`` and the CSV (UTF-8 with the byte-order mark Excel needs; every
        cell is a number or numbers and commas, so none reads as a formula) side by side,
        from one pass over the shuffled ballots, a bucket at a time."""
        folder = directory()
        folder.mkdir(parents=True, exist_ok=True)
        with _Output(folder, round_id, "pb") as pb, _Output(folder, round_id, "csv") as table:
            table.file.write("\ufeff")
            csv.writer(table.file, lineterminator="\r\n").writerow(["voter_id", "ideas", "points"])
            # an ordinal round without ballots has no points column, as ``pabulib.dump`` writes it
            pabulib.write_head(pb.file, meta, projects, self.ballots, self.points and self.ballots > 0)
            for voters, votes, points in self._chunks():
                piece = io.StringIO()
                rows = csv.writer(piece, lineterminator="\r\n")
                rows.writerows(zip(voters, votes, points or itertools.repeat(""), strict=False))
                table.file.write(piece.getvalue())
                piece = io.StringIO()
                pabulib.write_votes(piece, zip(voters, votes, points, strict=True) if points is not None
                                    else zip(voters, votes, strict=True))
                pb.file.write(piece.getvalue())
        return [pb.stored, table.stored]


class _Output:
    """A file written under a temporary name, hashed as it is written, then renamed to
    ``round-<id>-<sha256 prefix>.<format>``."""

    def __init__(self, folder: Path, round_id: int, fmt: str):
        self.folder, self.round_id, self.format = folder, round_id, fmt
        self._hash = hashlib.sha256()
        self._size = 0
        descriptor, self._temporary = tempfile.mkstemp(dir=folder, prefix=f".round-{round_id}-", suffix=f".{fmt}")
        self._raw = os.fdopen(descriptor, "wb")
        self.file = _HashingText(self)
        self.stored: VoteExport | None = None

    def __enter__(self) -> _Output:
        return self

    def _bytes(self, data: bytes) -> None:
        self._hash.update(data)
        self._size += len(data)
        self._raw.write(data)

    def __exit__(self, kind, *exc) -> None:
        self.file.flush()
        self._raw.close()
        if kind is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._temporary)
            return
        digest = self._hash.hexdigest()
        name = f"round-{self.round_id}-{digest[:32]}.{self.format}"
        os.replace(self._temporary, self.folder / name)
        self.stored = VoteExport(round_id=self.round_id, format=self.format, name=name,
                                 sha256=digest, size=self._size, created_at=utcnow())


class _HashingText:
    """A text stream over ``_Output``: UTF-8, buffered in 64 KiB pieces."""

    def __init__(self, output: _Output):
        self._output = output
        self._parts: list[str] = []
        self._length = 0

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._length += len(text)
        if self._length >= _CHUNK:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._parts:
            self._output._bytes("".join(self._parts).encode("utf-8"))
            self._parts, self._length = [], 0


def build(db: Session, vr: VoteRound, result: VoteResult, ideas: list[IdeaOnBallot] | None = None
          ) -> dict[str, VoteExport]:
    """Build and record the files of a published round from its stored ballots (for rounds
    published before files were kept, or whose file went missing)."""
    ideas = ideas if ideas is not None else ideas_on_ballot(db, vr)
    kind = result.parameters.get("ballot_kind", vr.settings.ballot_kind)
    total = db.exec(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == vr.id, Ballot.status == "counted")).one()
    with Builder(kind, total) as builder:
        for chunk in counted_lines(db, vr.id, kind):
            builder.add(chunk)
        stored = builder.write(vr.id, *head(vr, result, ideas))
    return record(db, stored)


def record(db: Session, stored: list[VoteExport]) -> dict[str, VoteExport]:
    """Keep the rows of files just written (replacing those of files gone missing)."""
    kept = {}
    for item in stored:
        existing = db.get(VoteExport, (item.round_id, item.format))
        if existing is not None:
            for name in ("name", "sha256", "size", "created_at"):
                setattr(existing, name, getattr(item, name))
            item = existing
        db.add(item)
        kept[item.format] = item
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # another request built them at the same moment: theirs are kept
        return {item.format: item for item in db.exec(select(VoteExport).where(
            VoteExport.round_id == stored[0].round_id)).all()}
    return kept


@dataclass(frozen=True)
class ExportFile:
    """A stored export, for a download: its path, SHA-256 and size."""

    path: Path
    sha256: str
    size: int


def export_file(db: Session, vr: VoteRound, fmt: str) -> ExportFile:
    """The stored ``.pb`` (``fmt`` "pb") or CSV ("csv") of a published round; NotFound before
    publication."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    result = published_result(db, vr.id)
    if result is None:
        raise _not_published()
    stored = db.get(VoteExport, (vr.id, fmt))
    if stored is None or not (directory() / stored.name).is_file():
        stored = build(db, vr, result)[fmt]
    return ExportFile(directory() / stored.name, stored.sha256, stored.size)


def export_pb(db: Session, vr: VoteRound) -> str:
    """The stored ``.pb`` file's text."""
    return export_file(db, vr, "pb").path.read_text(encoding="utf-8")


def export_csv(db: Session, vr: VoteRound) -> str:
    """The stored CSV's text (voter, ideas, points) without its byte-order mark; downloads
    add it back (``consult.web.downloads.excel_csv``), as the stored file has it."""
    return export_file(db, vr, "csv").path.read_text(encoding="utf-8").removeprefix("\ufeff")


def export_election(db: Session, vr: VoteRound) -> pabulib.Election:
    """The published round as an anonymous pabulib election (its stored ``.pb``, parsed)."""
    return pabulib.parse(export_pb(db, vr))
