"""The points club's services, by concept: ``clubs`` (clubs, members, proxies, ranking),
``activities`` (activities, sign-up, waiting list), ``attendance`` (recording, check-in,
approval), ``ledger`` (posting, balances, passbook, corrections) and ``redemption``
(prizes, days, pre-orders, collection, release). They are the only code of the domain
that touches the session."""
