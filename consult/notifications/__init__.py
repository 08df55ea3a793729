"""In-app notifications: how a person is told what happened to their request or idea."""
