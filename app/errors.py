"""One base exception for the product; every message says what to do next."""


class IdGraphError(Exception):
    """Base of every error the product raises on purpose."""


class ConfigError(IdGraphError):
    """Settings or a mapping file that cannot be used."""


class StoreError(IdGraphError):
    """The graph store is unreachable or refused a query."""


class InputError(IdGraphError):
    """An input file that cannot be read or does not fit its mapping."""
