"""Places (sub-district → residential area → estate → building group → home) and roles."""
