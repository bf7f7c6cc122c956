"""Store outcomes the API maps to HTTP answers: importable without loading PynamoDB."""


class Duplicate(Exception):
    def __init__(self, lead_id: str):
        super().__init__(lead_id)
        self.lead_id = lead_id


class Conflict(Exception):
    """Someone else changed the item first (optimistic lock): reload and retry."""
