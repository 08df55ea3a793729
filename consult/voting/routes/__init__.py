"""Voting pages. Thin: parse → service → respond; POSTs that change something answer 303.

``routes`` is what the app collects; the handlers live by concept: ``ballot`` (the list
of votes, the ballot, receipts), ``committee`` (settings, publication, turnout),
``paper`` (paper ballots and paper-only residents), ``results`` (results, downloads,
objections, the outcome), and ``common`` what they share.

Template contexts (tests read ``response.context``; every voting page also gets ``names``):
votes: ``rounds``; ballot: ``vr``, ``ideas``, ``kind``, ``chosen``, ``points``, ``ranks``,
``running``, ``mine``, ``voter``, ``problem``, ``open_problem``, ``sign_in``, ``locked``,
``error``, ``errors``, ``homes``, ``home_id``, ``published``, ``staff``; confirm: ``vr``,
``lines``, ``running``, ``raw``, ``home_id``, ``kind``; receipt: ``vr``, ``mine``, ``code``
(shown once), ``lines``, ``voter``, ``can_change``; receipt_check: ``result``, ``code``,
``errors``; manage: ``vr``, ``form``, ``errors``, ``error``, ``locked``, ``result``,
``recount``, ``turnout``, ``missing_costs``, ``ideas``, ``staff``; publish_job: ``vr``,
``job`` (``services.JobView``), ``staff``, ``follow`` (seconds, while counting); paper: ``vr``, ``ideas``,
``titles``, ``kind``, ``voters``, ``rows``, ``disputes``, ``homes``, ``places``, ``form``,
``errors``, ``error``, ``voter_form``, ``voter_errors``, ``chosen``, ``points``, ``ranks``,
``can_resolve``, ``published``; turnout: ``vr``, ``turnout``; results: ``vr``, ``results``,
``chart``, ``turnout``, ``can_object``, ``can_answer``, ``can_finalize``, ``staff``,
``errors``, ``error``, ``form``.
"""

from __future__ import annotations

from starlette.routing import Route

from consult.voting.routes import ballot, committee, exports, paper, results

routes = [
    Route("/votes", ballot.votes_page, methods=["GET"], name="votes"),
    Route("/rounds/{rid:int}/vote", ballot.ballot_page, methods=["GET"], name="vote_ballot"),
    Route("/rounds/{rid:int}/vote", ballot.ballot_review, methods=["POST"], name="vote_review"),
    Route("/rounds/{rid:int}/vote/confirm", ballot.ballot_cast, methods=["POST"], name="vote_cast"),
    Route("/rounds/{rid:int}/receipt", ballot.receipt_page, methods=["GET"], name="vote_receipt"),
    Route("/rounds/{rid:int}/receipt.png", ballot.receipt_picture, methods=["GET"], name="vote_receipt_png"),
    Route("/receipts", ballot.receipt_check_page, methods=["GET"], name="receipt_check_page"),
    Route("/receipts", ballot.receipt_check, methods=["POST"], name="receipt_check"),
    Route("/rounds/{rid:int}/vote/manage", committee.manage_page, methods=["GET"], name="vote_manage"),
    Route("/rounds/{rid:int}/vote/settings", committee.settings_save, methods=["POST"], name="vote_settings_save"),
    Route("/rounds/{rid:int}/publish", committee.publish, methods=["POST"], name="vote_publish"),
    Route("/rounds/{rid:int}/publish/job", committee.publish_job_page, methods=["GET"], name="vote_publish_job"),
    Route("/rounds/{rid:int}/turnout", committee.turnout_page, methods=["GET"], name="vote_turnout"),
    Route("/rounds/{rid:int}/paper", paper.paper_page, methods=["GET"], name="paper_ballots"),
    Route("/rounds/{rid:int}/paper", paper.paper_enter, methods=["POST"], name="paper_enter"),
    Route("/rounds/{rid:int}/paper/voters", paper.paper_voter_add, methods=["POST"], name="paper_voter_add"),
    Route("/rounds/{rid:int}/paper/voters/link", paper.paper_voter_link, methods=["POST"], name="paper_voter_link"),
    Route("/rounds/{rid:int}/paper/receipt", paper.paper_receipt, methods=["GET"], name="paper_receipt"),
    Route("/rounds/{rid:int}/paper/resolve", paper.paper_resolve, methods=["POST"], name="paper_resolve"),
    Route("/rounds/{rid:int}/results", results.results_page, methods=["GET"], name="vote_results"),
    Route("/rounds/{rid:int}/results.pb", results.export_pb, methods=["GET"], name="vote_export_pb"),
    Route("/rounds/{rid:int}/results.xlsx", exports.export_ranking, methods=["GET"], name="vote_export_ranking"),
    Route("/rounds/{rid:int}/turnout.xlsx", exports.export_turnout, methods=["GET"], name="vote_export_turnout"),
    Route("/rounds/{rid:int}/paper/voters.xlsx", exports.export_voters, methods=["GET"], name="paper_voters_export"),
    Route("/rounds/{rid:int}/results/notice", results.results_notice, methods=["GET"], name="vote_results_notice"),
    Route("/rounds/{rid:int}/results.csv", results.export_csv, methods=["GET"], name="vote_export_csv"),
    Route("/rounds/{rid:int}/objections", results.objection_file, methods=["POST"], name="objection_file"),
    Route("/objections/{oid:int}/answer", results.objection_answer, methods=["POST"], name="objection_answer"),
    Route("/objections/{oid:int}/edit", results.objection_edit, methods=["POST"], name="objection_edit"),
    Route("/rounds/{rid:int}/finalize", results.finalize, methods=["POST"], name="vote_finalize"),
]
