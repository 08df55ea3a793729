"""The JSON API under ``/api/v1``: assembled from each domain's ``api`` module."""
