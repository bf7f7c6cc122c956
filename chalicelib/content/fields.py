"""The merge fields a template may use, with the ones that may be missing marked optional.

Templates are validated against this list at load: an unknown field fails validation, and an
optional field is left out of the context when the lead lacks it, so it must be written with
a fallback: ``{{ realtor.first_name | default("your agent") }}`` or inside ``{% if x is defined %}``.
"""
KNOWN = {
    "borrower": {"first_name", "last_name", "full_name", "email", "phone", "state", "city"},
    "loan": {"type", "type_label", "purpose", "purpose_label", "amount", "amount_fmt", "rate", "rate_fmt",
             "apr_fmt", "term_years", "anticipated_close_date", "close_date_fmt", "product", "funded_on",
             "funded_date_fmt", "years_since_funding", "property_value_fmt"},
    "lo": {"name", "first_name", "phone", "phone_fmt", "email", "nmls_id"},
    "team": {"name", "legal_name", "postal_address", "nmls_id", "phone_fmt"},
    "realtor": {"name", "first_name", "email", "phone"},
    "links": {"apply", "documents", "calendar", "refi_calculator", "rates", "review"},
    "market": {"product", "rate_fmt", "apr_fmt", "as_of", "previous_rate_fmt", "previous_apr_fmt", "previous_as_of",
               "change_fmt", "direction", "payment_fmt", "payment_change_fmt", "amount_fmt", "amount_basis",
               "term_years", "costs_fmt", "note_gap_fmt", "note_position", "note_view"},
    "refi": {"current_rate_fmt", "current_payment_fmt", "new_rate_fmt", "new_apr_fmt", "new_payment_fmt",
             "monthly_savings_fmt", "break_even_months", "lifetime_interest_difference_fmt", "closing_costs_fmt",
             "balance_fmt", "rate_drop_fmt"},
    "home": {"value_fmt", "ltv_fmt", "equity_fmt", "balance_fmt", "paid_down_fmt", "value_basis", "as_of_fmt",
             "pmi_date_fmt"},
    "stage": {"name", "label"},
    "touch": {"day_name", "month_name", "year"},
    # an LO call task in a yearly program: how the borrower engages, what the program last sent
    "program": {"tier", "tier_label", "opens_90", "clicks_90", "replies_90", "recent", "last_click", "last_click_on"},
}
# Groups a touch may carry data for (order["data"], computed when it was scheduled).
DATA_GROUPS = ("market", "home", "program")

# Values that may be absent for a given lead: templates must give them a fallback.
OPTIONAL = {
    "borrower": {"last_name", "email", "phone", "state", "city"},
    "loan": {"type", "type_label", "amount", "amount_fmt", "rate", "rate_fmt", "apr_fmt", "anticipated_close_date",
             "close_date_fmt", "product", "funded_on", "funded_date_fmt", "years_since_funding", "property_value_fmt"},
    "realtor": {"name", "first_name", "email", "phone"},
    "market": KNOWN["market"],
    "refi": KNOWN["refi"],
    "home": KNOWN["home"],
    "program": KNOWN["program"],
}
