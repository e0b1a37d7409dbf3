"""The rules of the domain. Services take the session and `now` as arguments,
flush and never commit, and raise DomainError subclasses."""
