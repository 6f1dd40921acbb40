"""The catalogue's recording rules, one module per concern: constants, the ledger, the calendar, signals."""
