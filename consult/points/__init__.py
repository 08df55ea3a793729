"""The points club (积分制): activities, attendance the committee approves, a double-entry
ledger, redemption and the passbook. Public surface filled in below."""
