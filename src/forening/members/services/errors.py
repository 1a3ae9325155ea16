"""The register's domain exception."""


class RegisterError(Exception):
    """A business rule of the register refused the change; str() is for the user."""
