"""Deterministic estates for benchmarking and testing the owners' vote count.

An estate looks like a real Shanghai compound: buildings of several floors, homes
of 45–180 m² with two-decimal areas, a little unsold developer stock (a few of
those still showing the buyer's name, as happens before delivery), buyers holding
several homes, couples and families co-owning homes and listed in varying orders,
and someone who owns one home alone and another with a spouse.  Ballots come
through web, paper and proxy, multi-home owners sometimes vote through a different
home or hand in the same ballot twice, and some owners do not vote at all.

    python -m tests.gen_owners 6000 --seed 1 --out /tmp/estate
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from pathlib import Path

HOMES_PER_FLOOR = 4


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _home_ids(n_homes: int, floors: int) -> list[tuple[str, str, str]]:
    """(home_id, building, room) for n homes, filling building after building."""
    per_building = floors * HOMES_PER_FLOOR
    ids = []
    for i in range(n_homes):
        building, rest = divmod(i, per_building)
        floor, unit = divmod(rest, HOMES_PER_FLOOR)
        room = f"{floor + 1}{unit + 1:02d}"
        ids.append((f"{building + 1}-{room}", f"{building + 1}号楼", room))
    return ids


def generate_estate(n_homes: int, seed: int) -> tuple[str, str]:
    """Return (homes CSV text, ballots CSV text); the same arguments give the same text."""
    rng = random.Random(seed)
    floors = rng.choice([6, 11, 18, 26])
    people = (f"P{n:05d}" for n in range(1, 10 * n_homes + 10))
    owners_of: list[tuple[str, ...]] = []  # per home, as its owner set (unordered)
    developer: list[bool] = []
    repeat_pool: list[tuple[str, ...]] = []  # owner sets that hold more than one home

    for _ in range(n_homes):
        roll = rng.random()
        if roll < 0.05:
            developer.append(True)
            # Sold but not delivered: the buyer's name is there, the developer still counts.
            owners_of.append((next(people),) if rng.random() < 0.3 else ())
            continue
        developer.append(False)
        if roll < 0.17 and repeat_pool:
            owners_of.append(rng.choice(repeat_pool))  # a multi-home owner
        elif roll < 0.20 and repeat_pool:
            # Someone alone here but a co-owner elsewhere: a different owner.
            base = rng.choice(repeat_pool)
            owners_of.append((base[0],) if len(base) > 1 else (base[0], next(people)))
        else:
            size = rng.choices([1, 2, 3], weights=[60, 32, 8])[0]
            group = tuple(next(people) for _ in range(size))
            owners_of.append(group)
            if rng.random() < 0.15:
                repeat_pool.append(group)

    homes_rows = [["home_id", "building", "room", "area_m2", "owners", "developer_held"]]
    ids = _home_ids(n_homes, floors)
    homes_by_owner: dict[object, list[str]] = {}
    for (home_id, building, room), owners, dev in zip(ids, owners_of, developer, strict=True):
        cents = rng.randint(4500, 18000)
        listed = list(owners)
        rng.shuffle(listed)  # co-owners in varying order
        names = ";".join(f" {n}" if rng.random() < 0.05 else n for n in listed)
        homes_rows.append(
            [home_id, building, room, f"{cents // 100}.{cents % 100:02d}", names, str(int(dev))]
        )
        key: object = "DEVELOPER" if dev else frozenset(owners)
        homes_by_owner.setdefault(key, []).append(home_id)

    ballot_rows = [["home_id", "choice", "channel"]]
    turnout = rng.uniform(0.62, 0.9)
    agree_weight = rng.uniform(0.5, 0.85)
    for home_list in homes_by_owner.values():
        if rng.random() >= turnout:
            continue
        choice = rng.choices(
            ["agree", "disagree", "abstain"],
            weights=[agree_weight, (1 - agree_weight) * 0.7, (1 - agree_weight) * 0.3],
        )[0]
        copies = 2 if len(home_list) > 1 and rng.random() < 0.3 else 1
        for _ in range(copies):
            channel = rng.choices(["web", "paper", "proxy"], weights=[60, 30, 10])[0]
            ballot_rows.append([rng.choice(home_list), choice, channel])
    header, body = ballot_rows[0], ballot_rows[1:]
    rng.shuffle(body)
    return _csv(homes_rows), _csv([header, *body])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_homes", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    homes, ballots = generate_estate(args.n_homes, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "homes.csv").write_text(homes, encoding="utf-8")
    (args.out / "ballots.csv").write_text(ballots, encoding="utf-8")
    print(f"wrote {args.out / 'homes.csv'} and {args.out / 'ballots.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
