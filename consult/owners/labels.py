"""What people read about owners' votes: names of kinds and choices, translated
register errors, and exact percentages.

The register parser (:mod:`consult.owners.register`) is shared with the command
line and speaks English with ``{placeholder}`` templates.  For the web each error
code has a ``%(name)s`` msgid here, so it goes through the catalogue like every
other message; a test checks that both say the same thing in English.
"""

from __future__ import annotations

from fractions import Fraction

from consult.i18n import N_, Msg

from .register import LineError, Warning_

#: The kinds by their legal names (art. 278 para. 1), in the law's order, each with
#: the majority it needs; the form lists them in this order.
KIND_NAMES = {
    "rules_of_procedure": N_("Making or amending the owners' assembly rules of procedure (more than half)"),
    "management_statute": N_("Making or amending the management statute (more than half)"),
    "committee_election": N_("Electing the owners' committee or replacing its members (more than half)"),
    "property_manager": N_("Hiring or dismissing the property services company or other manager (more than half)"),
    "maintenance_fund_use": N_("Using the maintenance fund of the buildings and their facilities (more than half)"),
    "maintenance_fund_raise": N_("Raising the maintenance fund of the buildings and their facilities (three quarters)"),
    "rebuild": N_("Rebuilding or reconstructing the buildings and their facilities (three quarters)"),
    "common_use_change": N_("Changing the use of common parts or running a business on them (three quarters)"),
    "other_common_matter": N_("Another major matter of common ownership and joint management (more than half)"),
    "ordinary": N_("Ordinary matter (more than half of area and owners)"),
    "major": N_("Other matter needing three quarters (raising funds, rebuilding, changing common use)"),
}
CHOICE_NAMES = {"agree": N_("Agree"), "disagree": N_("Disagree"), "abstain": N_("Abstain")}
CHANNEL_NAMES = {"web": N_("Online"), "paper": N_("Paper ballot"), "proxy": N_("By proxy")}
STATE_NAMES = {
    "scheduled": N_("Not open yet"),
    "open": N_("Voting open"),
    "closed": N_("Voting closed"),
}
STATUS_NAMES = {
    "final": N_("Counted"),
    "confirmed": N_("Counted (keyed twice)"),
    "awaiting_second": N_("Waiting for the second keying"),
    "mismatch": N_("The two keyings differ"),
}
DEVELOPER_NAME = N_("The developer (all unsold or undelivered homes)")

#: The register errors in the catalogue's style; same meaning as register.MESSAGES.
LINE_MESSAGES = {
    "empty_file": N_("The file is empty; the first line must be the header %(expected)s."),
    "bad_header": N_("Line %(line)s: the header must be %(expected)s, not %(found)s."),
    "no_homes": N_("The register lists no homes."),
    "bad_field_count": N_("Line %(line)s: expected %(expected)s fields, found %(found)s."),
    "missing_home_id": N_("Line %(line)s: the home id is missing."),
    "duplicate_home_id": N_("Line %(line)s: home %(home_id)s is already listed on line %(first_line)s."),
    "area_not_a_number": N_("Line %(line)s: the area “%(value)s” is not a plain number of m² such as 89.50."),
    "area_not_positive": N_("Line %(line)s: the area “%(value)s” must be greater than zero."),
    "area_too_large": N_("Line %(line)s: the area “%(value)s” is implausibly large for one home."),
    "area_too_precise": N_("Line %(line)s: the area “%(value)s” has more than two decimals."),
    "missing_owners": N_("Line %(line)s: home %(home_id)s lists no owners and is not developer-held."),
    "empty_owner_name": N_("Line %(line)s: home %(home_id)s has an empty owner name between the ';' separators."),
    "bad_owner_name": N_("Line %(line)s: home %(home_id)s has an owner name with invisible characters, direction marks or a line break; please type it again."),
    "bad_developer_held": N_("Line %(line)s: developer_held must be 0 or 1, not “%(value)s”."),
    "owner_ids_mismatch": N_("Line %(line)s: home %(home_id)s lists %(expected)s owners but %(found)s identifiers; give one identifier per owner, in the same order, separated by ';'."),
    "bad_owner_id": N_("Line %(line)s: home %(home_id)s has an owner identifier with invisible characters or a line break; please type it again."),
    "same_name_in_home": N_("Line %(line)s: home %(home_id)s lists %(name)s twice with different identifiers; one home cannot list two owners of the same name."),
    "unreadable_file": N_("The file %(name)s cannot be read: %(reason)s."),
    "unknown_home": N_("Line %(line)s: home %(home_id)s is not in the register."),
    "bad_choice": N_("Line %(line)s: the choice “%(value)s” must be agree, disagree or abstain."),
    "bad_channel": N_("Line %(line)s: the channel “%(value)s” must be web, paper or proxy."),
    "conflicting_ballots": N_(
        "Line %(line)s: home %(home_id)s votes %(choice)s, but the same owner already voted "
        "%(first_choice)s on line %(first_line)s (home %(first_home_id)s)."
    ),
}

#: The register's warnings in the catalogue's style; same meaning as register.WARNINGS.
WARNING_MESSAGES = {
    "names_only": N_("The register has no owner identifier column (owner_ids, e.g. 产权证号 or 业主证件号): owners are told apart by name only, so different owners with the same name are counted as one owner."),
    "names_merged": N_("%(count)s names are on more than one home and each is counted as one owner: %(names)s. If some are different people, add an identifier column."),
    "missing_owner_ids": N_("%(count)s homes have no owner identifier (first: line %(line)s, home %(home_id)s); their owners are told apart by name."),
}

#: The same area problems for a form field, where there is no line to name.
AREA_MESSAGES = {
    "area_not_a_number": N_("The area “%(value)s” is not a plain number of m² such as 89.50."),
    "area_not_positive": N_("The area “%(value)s” must be greater than zero."),
    "area_too_large": N_("The area “%(value)s” is implausibly large for one home."),
    "area_too_precise": N_("The area “%(value)s” has more than two decimals."),
}


def line_error_msg(error: LineError) -> Msg:
    """A register problem as a translatable message."""
    return Msg(LINE_MESSAGES[error.code], {"line": error.line, **error.params})


def warning_msg(warning: Warning_) -> Msg:
    """A register warning as a translatable message."""
    return Msg(WARNING_MESSAGES[warning.code], dict(warning.params))


def percent(ratio: Fraction, places: int = 2) -> str:
    """``ratio`` as a percentage rounded half up to ``places`` decimals, without floats.

    Only for reading: every decision compares the exact fractions.
    """
    scale = 10**places
    scaled = ratio * 100 * scale
    whole = int(scaled + Fraction(1, 2)) if scaled >= 0 else -int(-scaled + Fraction(1, 2))
    sign = "-" if whole < 0 else ""
    units, decimals = divmod(abs(whole), scale)
    return f"{sign}{units}.{decimals:0{places}d}%" if places else f"{sign}{units}%"
