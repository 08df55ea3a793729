"""Owners' votes: the register, matters, ballots and their count.

The only code of this domain that touches the session.  Counting goes through the
very functions the recount command uses (:mod:`consult.owners.register` then
:func:`consult.owners.rules.tally`), fed from the database instead of files, so the
page and the command cannot disagree.  Every function that depends on the time takes
``now``.

The services are kept by concept, one module each (:mod:`.homes` the register,
:mod:`.links`, :mod:`.matters` with their files, :mod:`.counting`, :mod:`.ballots`;
:mod:`.common` is what they share), and every public one is named here, so this
domain's pages, API, demo and tests keep calling ``services.<name>``. Other domains
use the domain's own surface, :mod:`consult.owners`.
"""

from consult.owners.services.ballots import (
    BallotList,
    PaperEntry,
    Voice,
    ballot_list,
    cast_web_ballot,
    enter_paper_ballot,
    enter_proxy_ballot,
    resolve_by_rekeying,
    resolve_mismatch,
    voices,
    void_ballot,
    voided_reasons,
)
from consult.owners.services.common import (
    COUNTED,
    MAX_DESCRIPTION,
    MAX_FIELD,
    MAX_FILE_BYTES,
    MAX_NAME,
    MAX_REASON,
    MAX_TITLE,
    PAGE_SIZE,
    RegisterRejected,
    get_ballot,
    get_estate,
    get_matter,
    may,
    state_of,
)
from consult.owners.services.counting import (
    Turnout,
    ballots_csv,
    count,
    counted_ballots,
    matter_homes,
    matter_register_csv,
    outcome,
    result,
    turnout,
)
from consult.owners.services.homes import (
    ImportSummary,
    RegisterPage,
    estate_homes,
    get_home,
    home_owners,
    import_register,
    parse_register_upload,
    register_csv,
    register_page,
    update_home,
)
from consult.owners.services.links import (
    MAX_CODE_ATTEMPTS,
    REFUSALS,
    confirm_link,
    get_link,
    link_home,
    my_link_requests,
    pending_links,
    refuse_link,
    request_link,
    unlink_owner,
)
from consult.owners.services.matters import (
    add_attachment,
    attachments_of,
    create_matter,
    estates_for,
    get_attachment,
    matters_of,
    notice_ends,
    parse_when,
    proxy_scan,
    stored_file,
)

__all__ = [
    "BallotList", "COUNTED", "ImportSummary", "MAX_CODE_ATTEMPTS", "MAX_DESCRIPTION",
    "MAX_FIELD", "MAX_FILE_BYTES", "MAX_NAME", "MAX_REASON", "MAX_TITLE", "PAGE_SIZE",
    "PaperEntry", "REFUSALS", "RegisterPage", "RegisterRejected", "Turnout", "Voice",
    "add_attachment", "attachments_of", "ballot_list", "ballots_csv", "cast_web_ballot",
    "confirm_link", "count", "counted_ballots", "create_matter", "enter_paper_ballot",
    "enter_proxy_ballot", "estate_homes", "estates_for", "get_attachment", "get_ballot",
    "get_estate", "get_home", "get_link", "get_matter", "home_owners", "import_register",
    "link_home", "matter_homes", "matter_register_csv", "matters_of", "may",
    "my_link_requests", "notice_ends", "outcome", "parse_register_upload", "parse_when", "pending_links",
    "proxy_scan", "refuse_link", "register_csv", "register_page", "request_link",
    "resolve_by_rekeying", "resolve_mismatch", "result", "state_of", "stored_file", "turnout",
    "unlink_owner", "update_home", "voices", "void_ballot", "voided_reasons",
]
