"""The audit log: every staff action, who did it, when, to what, and why."""
