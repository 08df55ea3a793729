"""The public idea list, whose rendered body each worker caches by the consultation's
``ideas_version``, and an author's own ideas."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from starlette.requests import Request

from consult import clock
from consult.cache import Cache
from consult.consultations import rules, services
from consult.consultations.routes.common import (
    NAMES,
    _linker,
    _path_param,
    _settings,
    render,
    render_public,
)
from consult.i18n import N_
from consult.parsing import MAX_QUERY
from consult.web.auth import require_user
from consult.web.db import get_db
from consult.web.templating import locale_of, render_fragment, translator_for

#: rendered list pages each worker keeps: about 16 KB each (HTML and the page's rows),
#: up to about 100 KB when every idea has a 2,000-character description
LIST_CACHE_ENTRIES = 256
#: filter values longer than this are never made by the form: served, but not cached
_CACHEABLE_LENGTH = 24


@dataclass(frozen=True, slots=True)
class ListItem:
    """One idea as the list shows it: plain strings, made once when the list is rendered."""

    href: str
    title: str
    state: str
    state_label: str
    category: str
    place: str
    supports: str
    comments: str
    cost_fen: int | None
    thumb: str | None


@dataclass(frozen=True)
class ListView:
    """What the idea list shows below the page header; cached whole (see ``ideas_page``)."""

    scope: object
    page: services.IdeaPage
    categories: list
    places: list
    body: Markup


def _list_cache(request: Request) -> Cache:
    cache = getattr(request.app.state, "ideas_list_cache", None)
    if cache is None:
        cache = Cache(LIST_CACHE_ENTRIES, _settings(request).public_cache_seconds)
        request.app.state.ideas_list_cache = cache
    return cache


def _list_view(request: Request, consultation, filters: dict, page_number: str) -> ListView:
    db = get_db(request)
    page = services.list_ideas(db, consultation, category_id=filters["category"] or None,
                               state=filters["state"] or None, place_id=filters["place"] or None,
                               sort=filters["sort"], page=page_number, query=filters["q"] or None)
    menus = services.list_menus(db, consultation, filters["place"] or None)
    t = translator_for(request)
    states = {k: t(v) for k, v in rules.STATE_NAMES.items()}
    supports, comments = t(N_("%(n)s supports")), t(N_("%(n)s comments"))
    idea_href = _linker(request, "idea", "iid", 987654321)
    media_href = _linker(request, "media", "file", "MEDIA-FILE")
    items = [ListItem(
        href=idea_href(r.idea.id), title=r.idea.title, state=r.idea.state,
        state_label=states[r.idea.state], category=r.category_name, place=r.place_name,
        supports=supports % {"n": r.idea.support_count}, comments=comments % {"n": r.comment_count},
        cost_fen=r.idea.estimated_cost_fen,
        thumb=media_href(f"{r.photo_key}_t.jpg") if r.photo_key else None,
    ) for r in page.rows]
    body = render_fragment("consultations/_ideas_list.html", t, request=request, names=NAMES,
                           consultation=consultation, scope=menus.scope, page=page,
                           filters=filters, categories=menus.categories, places=menus.places,
                           items=items)
    return ListView(scope=menus.scope, page=page, categories=menus.categories,
                    places=menus.places, body=body)


async def ideas_page(request: Request):
    """The public idea list. Its body is the same for everyone, so each worker keeps the
    rendered body, keyed by the consultation's ``ideas_version`` (raised by every service
    that changes what a list shows: see ``services.ideas_changed``), the filters, the page
    and the language; a repeat costs one small statement instead of five and a render."""
    consultation = services.list_header(get_db(request), _path_param(request, "cid"), clock.utcnow())
    q = request.query_params
    filters = {"category": q.get("category", ""), "state": q.get("state", ""),
               "place": q.get("place", ""), "sort": q.get("sort", "newest"),
               "q": q.get("q", "").strip()[:MAX_QUERY]}
    if filters["sort"] not in rules.SORTS:
        filters["sort"] = "newest"
    page_number = q.get("page", "1")
    key = (consultation.id, consultation.ideas_version, locale_of(request), filters["category"],
           filters["state"], filters["place"], filters["sort"], page_number, filters["q"])
    cacheable = all(len(v) <= _CACHEABLE_LENGTH for v in key[3:])
    cache = _list_cache(request)
    view = cache.get(key) if cacheable else None
    if view is None:
        view = _list_view(request, consultation, filters, page_number)
        if cacheable:
            cache.put(key, view)
    context = {
        "consultation": consultation, "scope": view.scope, "page": view.page, "filters": filters,
        "categories": view.categories, "places": view.places, "body": view.body,
        "supports_needed": rules.supports_needed("collect", consultation.collect_settings or {}),
    }
    if not cacheable:
        return render(request, "consultations/ideas.html", context)
    # the whole page for visitors not signed in, kept with the kept body it shows and
    # what the page adds around it (the title, the callout of a collect round open now)
    return render_public(request, "consultations/ideas.html", context, made_from=view,
                         key=(consultation.title, context["supports_needed"]))


async def my_ideas_page(request: Request):
    user = require_user(request)
    return render(request, "consultations/my_ideas.html",
                  {"items": services.my_ideas(get_db(request), user)})
