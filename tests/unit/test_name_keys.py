"""The console's name search keys (domain/lead.py): folded the way people type names."""
from chalicelib.domain.lead import NAME_SORT_BYTES, name_fold, name_keys


def test_case_accents_and_apostrophes_go_other_marks_split_words():
    assert name_fold("José O'Brien-Díaz") == "jose obrien diaz"
    assert name_fold("O\u2019BRIEN") == name_fold("o'brien") == name_fold("OBrien") == "obrien"
    assert name_fold("  Smith,  Jr. ") == "smith jr"
    assert name_fold(None) == "" and name_fold("--") == ""


def test_keys_sort_by_last_name_then_first_under_the_first_character():
    assert name_keys({"first_name": "María", "last_name": "García"}) == {"name_key": "g", "name_sort": "garcia maria"}
    assert name_keys({"first_name": "Zoe"}) == {"name_key": "z", "name_sort": "zoe"}
    assert name_keys({"first_name": "", "last_name": "  "}) == {"name_key": None, "name_sort": None}


def test_a_name_that_folds_long_is_cut_on_a_character_boundary_under_the_index_limit():
    keys = name_keys({"first_name": "\ufdfa" * 100, "last_name": "\u00e9\u4e2d" * 100})
    assert len(keys["name_sort"].encode()) <= NAME_SORT_BYTES
    assert keys["name_sort"].startswith("e\u4e2de\u4e2d")
    keys["name_sort"].encode().decode()  # whole characters only
