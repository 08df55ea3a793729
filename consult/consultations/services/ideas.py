"""Reading ideas: the public list (built for speed: prebuilt statements, plain rows),
its filter menus, an author's own ideas, similar titles, the idea page and its versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import and_, bindparam, func, or_
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.accounts.models import User
from consult.communities.models import Place
from consult.consultations import rules
from consult.consultations.diff import FieldDiff, diff_fields
from consult.consultations.models import (
    Category,
    Comment,
    CommentReport,
    Consultation,
    Idea,
    IdeaPhoto,
    IdeaVersion,
    Round,
    Support,
    TimelineEntry,
)
from consult.consultations.services.common import round_state
from consult.consultations.services.voted import VoteOutcome, vote_outcome
from consult.db import search
from consult.db.ids import parse_id as _int
from consult.errors import NotFound
from consult.i18n import N_
from consult.permissions import Actor

PER_PAGE = 20


def get_idea(db: Session, idea_id: int) -> Idea:
    idea = db.get(Idea, idea_id)
    if idea is None:
        raise NotFound()
    return idea


def visible_idea(db: Session, actor: Actor, idea_id: int) -> Idea:
    """A draft is its author's alone; everything else is public."""
    idea = get_idea(db, idea_id)
    if idea.state == "draft" and idea.author_id != actor.user_id:
        raise NotFound()
    return idea


def places_in_scope(db: Session, scope: Place) -> list[Place]:
    return list(db.exec(select(Place).where(Place.path.startswith(scope.path),
                                            Place.kind != "home")
                        .order_by(Place.path)).all())


def idea_place_choices(db: Session, actor: Actor, scope: Place) -> list[Place]:
    """Places an idea may be about, limited to where the actor may submit."""
    return [p for p in places_in_scope(db, scope)
            if permissions.allowed("submit_idea", actor, p.ids_from_root)
            or permissions.allowed("review_idea", actor, p.ids_from_root)]


@dataclass
class IdeaRow:
    """One line of an idea list: the idea and what the list shows next to it."""

    idea: Idea
    category_name: str
    place_name: str
    photo_key: str | None = None
    comment_count: int = 0


@dataclass
class IdeaPage:
    rows: list[IdeaRow]
    total: int
    page: int
    pages: int


def _first_photos(db: Session, idea_ids: list[int]) -> dict[int, str]:
    if not idea_ids:
        return {}
    return dict(db.exec(select(IdeaPhoto.idea_id, IdeaPhoto.key).where(
        IdeaPhoto.idea_id.in_(idea_ids), IdeaPhoto.position == 0)).all())


def _rows(db: Session, results, with_comments: bool = True) -> list[IdeaRow]:
    rows = [IdeaRow(idea=i, category_name=c, place_name=p) for i, c, p in results]
    ids = [r.idea.id for r in rows]
    photos = _first_photos(db, ids)
    comments = dict(db.exec(select(Comment.idea_id, func.count()).where(
        Comment.idea_id.in_(ids), Comment.hidden_at.is_(None)).group_by(Comment.idea_id)).all()
    ) if ids and with_comments else {}
    for row in rows:
        row.photo_key = photos.get(row.idea.id)
        row.comment_count = comments.get(row.idea.id, 0)
    return rows


def _with_names():
    return (select(Idea, Category.name, Place.name)
            .join(Category, Category.id == Idea.category_id)
            .join(Place, Place.id == Idea.place_id))


#: a page number beyond any list: asking for it shows the last page
_LAST_PAGE = 1_000_000


def list_ideas(db: Session, consultation: Consultation, *, category_id=None, state=None,
               place_id=None, sort: str = "newest", page=1, per_page: int = PER_PAGE,
               query: str | None = None) -> IdeaPage:
    """A page of the public idea list with filters and an optional text search over title
    and description (ranked: ideas whose title has it first, then by relevance, then the
    list's order; see :mod:`consult.db.search`, which also says why a query under three
    characters reads every idea of the list): one statement however many ideas (three
    when the page asked for lies past the end: a count, then the last page)."""
    params = {"cid": consultation.id, "per_page": per_page}
    searching = None
    if (found := search.text_query(query)) is not None:
        params.update(found.params())
        searching = "index" if found.indexed else "scan"
    if (category := _int(category_id)) is not None:
        params["category"] = category
    if state in rules.IDEA_STATES and state != "draft":
        params["state"] = state
    if (place := _int(place_id)) is not None:
        params["place"] = place
    page_select, count_select = _list_statements(
        sort == "supported", "category" in params, "state" in params, "place" in params,
        searching, db.get_bind().dialect.name)

    def rows_of(number: int) -> list:
        return db.execute(page_select, {**params, "skip": (number - 1) * per_page}).all()

    page = min(max(_int(page) or 1, 1), _LAST_PAGE)
    results = rows_of(page)
    if results:
        total = results[0].total
    elif page == 1:
        total = 0
    else:  # past the end: show the last page, as the pager's links would
        total = db.execute(count_select, params).scalar_one()
        page = max(1, -(-total // per_page))
        results = rows_of(page) if total else []
    rows = [IdeaRow(idea=r[0], category_name=r.category_name, place_name=r.place_name,
                    photo_key=r.photo_key, comment_count=r.comment_count) for r in results]
    return IdeaPage(rows=rows, total=total, page=page, pages=max(1, -(-total // per_page)))


#: the columns of an idea a search looks in, the title first (it ranks)
_SEARCHED = ("title", "description")


@lru_cache(maxsize=32)
def _list_statements(by_support: bool, by_category: bool, by_state: bool, by_place: bool,
                     searching: str | None = None, dialect: str = "sqlite"):
    """The statements of one kind of list page, built once (building them took longer
    than running them); values come as parameters: cid, category, state, place, skip,
    per_page and, ``searching`` through the index or by a scan, the search's (see
    :meth:`consult.db.search.TextQuery.params`).

    The page statement picks the page's ids first from the ideas' own columns (an
    index serves each order), then looks up names, first photo and comment count for
    those rows only; on each row, ``total`` counts every match (an uncorrelated
    subquery, computed once). The count statement is for a page past the end.
    """
    conditions = [Idea.consultation_id == bindparam("cid"), Idea.state != "draft"]
    if by_category:
        conditions.append(Idea.category_id == bindparam("category"))
    if by_state:
        conditions.append(Idea.state == bindparam("state"))
    if by_place:
        place_path = select(Place.path).where(Place.id == bindparam("place")).scalar_subquery()
        conditions.append(Idea.place_id.in_(select(Place.id).where(Place.path.startswith(place_path))))
    order = ((Idea.support_count.desc(), Idea.id.desc()) if by_support
             else (Idea.submitted_at.desc(), Idea.id.desc()))
    ids = select(Idea.id).where(*conditions)
    count = select(func.count()).select_from(Idea).where(*conditions)
    ranks: tuple = ()
    if searching is not None:
        indexed, table = searching == "index", Idea.__table__
        ids, rank = search.ranked(ids, dialect, table, _SEARCHED, indexed)
        count = count.where(search.contains(dialect, table, _SEARCHED, indexed))
        ranks = tuple(term.label(f"rank_{n}") for n, term in enumerate(rank))
        ids = ids.add_columns(*ranks)
    ids = (ids.order_by(*ranks, *order).offset(bindparam("skip")).limit(bindparam("per_page"))
           .correlate(None))
    photo = (select(IdeaPhoto.key).where(IdeaPhoto.idea_id == Idea.id, IdeaPhoto.position == 0)
             .limit(1).scalar_subquery())
    comments = (select(func.count()).select_from(Comment)
                .where(Comment.idea_id == Idea.id, Comment.hidden_at.is_(None)).scalar_subquery())
    columns = (Idea, Category.name.label("category_name"), Place.name.label("place_name"),
               photo.label("photo_key"), comments.label("comment_count"))
    if not ranks:
        page = (select(*columns, count.correlate(None).scalar_subquery().label("total"))
                .where(Idea.id.in_(ids)).order_by(*order))
    else:
        # a search's page: its ids come with their ranks (the index's own, on SQLite, is
        # only known inside the statement that reads the index), which order the page,
        # and with the count of all matches, taken in the same pass over them
        found = ids.add_columns(func.count().over().label("total")).subquery("found")
        page = (select(*columns, found.c.total).join(found, found.c.id == Idea.id)
                .order_by(*(found.c[term.name] for term in ranks), *order))
    page = (page.select_from(Idea).join(Category, Category.id == Idea.category_id)
            .join(Place, Place.id == Idea.place_id))
    return page, count


@dataclass(frozen=True)
class ListMenus:
    """What the idea list's filter form offers, as light rows (plain values)."""

    scope: tuple  # (id, kind, name, path) of the consultation's scope
    categories: list  # (id, name)
    places: list  # (id, name)


def list_menus(db: Session, consultation, chosen_place=None) -> ListMenus:
    """The filter form's menus (three or four small statements, built once).

    Places: the building groups of an area's consultation; for the whole sub-district
    its areas, plus the building groups of the chosen area (or of the chosen group's
    area), so the menu stays short.
    """
    statements = _menu_statements()
    scope = db.execute(statements["scope"], {"scope_id": consultation.scope_place_id}).one()
    categories = db.execute(statements["categories"], {"cid": consultation.id}).all()
    inside = {"scope_path": scope.path, "scope_id": scope.id}
    if scope.kind != "subdistrict":
        places = db.execute(statements["groups"], inside).all()
    else:
        chosen = _int(chosen_place)
        path = db.execute(statements["path"], {"place_id": chosen}).scalar() \
            if chosen is not None else None
        ids = path.strip("/").split("/") if path else []
        if len(ids) > 1:
            area_path = f"/{ids[0]}/{ids[1]}/"
            places = db.execute(statements["areas_and_groups"],
                                {**inside, "area_path": area_path}).all()
        else:
            places = db.execute(statements["areas"], inside).all()
    return ListMenus(scope=scope, categories=categories, places=places)


@lru_cache(maxsize=1)
def _menu_statements() -> dict:
    inside = and_(Place.path.startswith(bindparam("scope_path")), Place.id != bindparam("scope_id"))
    places = select(Place.id, Place.name).order_by(Place.path)
    return {
        "scope": select(Place.id, Place.kind, Place.name, Place.path)
        .where(Place.id == bindparam("scope_id")),
        "categories": select(Category.id, Category.name)
        .where(Category.consultation_id == bindparam("cid"))
        .order_by(Category.position, Category.id),
        "path": select(Place.path).where(Place.id == bindparam("place_id")),
        "groups": places.where(inside, Place.kind == "building_group"),
        "areas": places.where(inside, Place.kind == "area"),
        "areas_and_groups": places.where(inside, or_(
            Place.kind == "area",
            and_(Place.kind == "building_group", Place.path.startswith(bindparam("area_path"))))),
    }


def my_ideas(db: Session, user: User) -> list[tuple[IdeaRow, Consultation]]:
    results = db.exec(_with_names().add_columns(Consultation)
                      .join(Consultation, Consultation.id == Idea.consultation_id)
                      .where(Idea.author_id == user.id).order_by(Idea.id.desc())).all()
    rows = _rows(db, [(i, c, p) for i, c, p, _ in results], with_comments=False)
    return [(row, consultation) for row, (_, _, _, consultation) in zip(rows, results, strict=True)]


def similar_ideas(db: Session, consultation_id: int, title: str, *,
                  exclude: int | None = None, limit: int = 5) -> list[Idea]:
    """Ideas in the running whose titles resemble ``title``: offered to cut duplicates."""
    title = rules.clean_text(title)
    if not title:
        return []
    candidates = db.exec(select(Idea.id, Idea.title).where(
        Idea.consultation_id == consultation_id, Idea.state.in_(rules.ACTIVE | {"selected"}))).all()
    ids = rules.similar_titles(title, candidates, exclude=exclude, limit=limit)
    if not ids:
        return []
    found = {i.id: i for i in db.exec(select(Idea).where(Idea.id.in_(ids))).all()}
    return [found[i] for i in ids]


def merge_candidates(db: Session, idea: Idea, query: object = None, *,
                     limit: int = 20) -> list[Idea]:
    """The ideas ``idea`` may be merged into, for the moderator to choose from: those whose
    title or description contains ``query``, else those with a similar title. Only ideas of
    the same consultation still in the running, never the idea itself."""
    found = search.text_query(query)
    if found is None:
        return [i for i in similar_ideas(db, idea.consultation_id, idea.title, exclude=idea.id,
                                         limit=limit) if i.state in rules.ACTIVE]
    matching = search.contains(db.get_bind().dialect.name, Idea.__table__, _SEARCHED, found.indexed)
    return list(db.exec(select(Idea).where(
        Idea.consultation_id == idea.consultation_id, Idea.id != idea.id,
        Idea.state.in_(rules.ACTIVE), matching)
        .order_by(Idea.id).limit(limit), params=found.params()).all())


@dataclass
class CommentView:
    comment: Comment
    author_name: str
    replies: list[CommentView] = field(default_factory=list)
    report_count: int = 0


@dataclass
class IdeaDetail:
    idea: Idea
    consultation: Consultation
    category: Category
    place: Place
    author: User
    current_round: Round | None
    round_state: str | None
    photos: list[IdeaPhoto]
    timeline: list[TimelineEntry]
    versions: list[IdeaVersion]
    comments: list[CommentView]
    merged_into: Idea | None
    merged_from: list[tuple[Idea, str]]
    supported: bool
    #: the supports the idea needs by the close of its round (0: none, or not now)
    supports_needed: int = 0
    #: what a published vote said of it (selected or not, its score, the notice period)
    outcome: VoteOutcome | None = None


def idea_detail(db: Session, idea: Idea, user: User | None, now: datetime) -> IdeaDetail:
    consultation = db.get(Consultation, idea.consultation_id)
    current = db.get(Round, idea.current_round_id) if idea.current_round_id else None
    comments = db.exec(select(Comment, User.display_name).join(User, User.id == Comment.author_id)
                       .where(Comment.idea_id == idea.id).order_by(Comment.id)).all()
    reports = dict(db.exec(select(CommentReport.comment_id, func.count()).join(
        Comment, Comment.id == CommentReport.comment_id).where(Comment.idea_id == idea.id)
        .group_by(CommentReport.comment_id)).all())
    tops: dict[int, CommentView] = {}
    ordered: list[CommentView] = []
    for comment, name in comments:
        view = CommentView(comment=comment, author_name=name, report_count=reports.get(comment.id, 0))
        if comment.parent_id is None:
            tops[comment.id] = view
            ordered.append(view)
        elif comment.parent_id in tops:
            tops[comment.parent_id].replies.append(view)
    merged_from = db.exec(select(Idea, User.display_name).join(User, User.id == Idea.author_id)
                          .where(Idea.merged_into_id == idea.id).order_by(Idea.id)).all()
    supported = bool(user and db.exec(select(Support.id).where(
        Support.idea_id == idea.id, Support.user_id == user.id)).first())
    return IdeaDetail(
        idea=idea, consultation=consultation, category=db.get(Category, idea.category_id),
        place=db.get(Place, idea.place_id), author=db.get(User, idea.author_id),
        current_round=current, round_state=round_state(current, now) if current else None,
        photos=photos_of(db, idea.id), timeline=timeline(db, idea.id),
        versions=versions(db, idea.id), comments=ordered,
        merged_into=db.get(Idea, idea.merged_into_id) if idea.merged_into_id else None,
        merged_from=list(merged_from), supported=supported,
        supports_needed=(rules.supports_needed(current.kind, current.settings)
                         if current and idea.state in rules.ACTIVE
                         and round_state(current, now) == "open" else 0),
        outcome=vote_outcome(db, idea.id, now),
    )


def photos_of(db: Session, idea_id: int) -> list[IdeaPhoto]:
    return list(db.exec(select(IdeaPhoto).where(IdeaPhoto.idea_id == idea_id)
                        .order_by(IdeaPhoto.position)).all())


def timeline(db: Session, idea_id: int) -> list[TimelineEntry]:
    return list(db.exec(select(TimelineEntry).where(TimelineEntry.idea_id == idea_id)
                        .order_by(TimelineEntry.at, TimelineEntry.id)).all())


def versions(db: Session, idea_id: int) -> list[IdeaVersion]:
    return list(db.exec(select(IdeaVersion).where(IdeaVersion.idea_id == idea_id)
                        .order_by(IdeaVersion.number)).all())


DIFF_FIELDS = ("title", "description", "category", "place", "estimated_cost", "photos")
DIFF_LABELS = {
    "title": N_("Title"), "description": N_("Description"), "category": N_("Category"),
    "place": N_("Place"), "estimated_cost": N_("Estimated cost (yuan)"),
    "photos": N_("Number of photos"),
}


def _version_fields(version: IdeaVersion) -> dict:
    return {"title": version.title, "description": version.description,
            "category": version.category_name, "place": version.place_name,
            "estimated_cost": rules.format_yuan(version.estimated_cost_fen),
            "photos": len(version.photo_keys)}


def diff_versions(db: Session, idea: Idea, old: int, new: int) -> list[FieldDiff]:
    """What changed between two versions (any two, in either order)."""
    found = {v.number: v for v in db.exec(select(IdeaVersion).where(
        IdeaVersion.idea_id == idea.id, IdeaVersion.number.in_([old, new]))).all()}
    if old not in found or new not in found:
        raise NotFound()
    return diff_fields(_version_fields(found[old]), _version_fields(found[new]), DIFF_FIELDS)


#: an idea in one of these states was shortlisted on its way (a vote is among shortlisted ideas)
WAS_SHORTLISTED = ("shortlisted", "selected", "not_selected", "in_progress", "completed")


def shortlisted_by(db: Session, user_ids: set[int]) -> list[tuple[int, str, str, str]]:
    """Ideas of ``user_ids`` that were shortlisted, as participation facts
    ``(author id, "idea", "idea:<id>", the idea's place path)`` (the points club credits
    them). Nothing here reads a vote: selected and not selected count alike."""
    if not user_ids:
        return []
    rows = db.exec(select(Idea.author_id, Idea.id, Place.path).join(Place, Place.id == Idea.place_id)
                   .where(Idea.author_id.in_(user_ids), Idea.state.in_(WAS_SHORTLISTED))).all()
    return [(author_id, "idea", f"idea:{idea_id}", path) for author_id, idea_id, path in rows]
