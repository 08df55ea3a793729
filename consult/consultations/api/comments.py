"""Comments over the API: reading and writing them, reports, hiding and showing again."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.consultations import services
from consult.consultations.api.common import _str, _visible
from consult.consultations.models import Comment
from consult.web.api import json_body, ok
from consult.web.auth import require, require_user
from consult.web.db import get_db


def comment_json(comment: Comment, author: str) -> dict:
    hidden = comment.hidden_at is not None
    return {"id": comment.id, "parent_id": comment.parent_id, "author": author,
            "body": None if hidden else comment.body, "is_expert": comment.is_expert,
            "hidden": hidden, "hidden_reason": comment.hidden_reason,
            "created_at": comment.created_at}


async def list_comments(request: Request):
    db = get_db(request)
    idea = _visible(request)
    detail = services.idea_detail(db, idea, None, clock.utcnow())
    items = []
    for view in detail.comments:
        items.append(comment_json(view.comment, view.author_name))
        items.extend(comment_json(r.comment, r.author_name) for r in view.replies)
    return ok({"comments": items})


async def add_comment(request: Request):
    data = await json_body(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = _visible(request)
    comment = services.add_comment(db, actor, idea, body=_str(data, "body"),
                                   parent_id=data.get("parent_id"), now=clock.utcnow())
    return ok(comment_json(comment, require_user(request).display_name), status=201)


async def comment_action(request: Request):
    data = await json_body(request)
    db = get_db(request)
    actor = require(request, "use_account")
    action = request.url.path.rsplit("/", 1)[-1]
    comment_id = request.path_params["comment_id"]
    if action == "report":
        comment = services.report_comment(db, actor, comment_id, reason=_str(data, "reason"),
                                          now=clock.utcnow())
    elif action == "unhide":
        comment = services.unhide_comment(db, actor, comment_id, now=clock.utcnow())
    else:
        comment = services.hide_comment(db, actor, comment_id, reason=_str(data, "reason"),
                                        now=clock.utcnow())
    return ok({"id": comment.id, "hidden": comment.hidden_at is not None})
