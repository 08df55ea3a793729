"""What every page and API route shares: middleware, sessions, CSRF, guards, templating, errors."""
