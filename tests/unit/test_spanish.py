"""Issue 28: a lead's language, the program in Spanish, Spanish stop and help words. Pure."""
from datetime import date, datetime, timezone

import pytest

from chalicelib.content import language
from chalicelib.content.render import NotInLanguage, render
from chalicelib.content.sms import SAMPLE, encoding, segments
from chalicelib.domain.lead import ValidationError, validate_lead
from chalicelib.domain.los_values import parse_language
from chalicelib.domain.optout import classify_sms, is_email_unsubscribe_reply, said_in_spanish
from chalicelib.domain.regz import rate_statements_without_apr
from chalicelib.sequences.catalog import CORE, SEQUENCES
from chalicelib.sequences.slots import in_language
from chalicelib.sequences.validate import spanish_problems
from sim.language import language_of, wrong_language

NOW = datetime(2027, 3, 2, 15, tzinfo=timezone.utc)
ES = {**SAMPLE, "relationship": "lead", "language": "es"}


@pytest.mark.parametrize("body", ["ALTO", "alto por favor", "Baja", "BAJA de todo", "CANCELAR", "parar", "Basta!",
                                  "No me envíes más mensajes", "no me envie mas mensajes por favor",
                                  "Dejen de enviarme mensajes", "Quiero darme de baja", "Número equivocado",
                                  "Quítenme de la lista", "déjeme en paz", "ya no quiero recibir mensajes",
                                  "No más mensajes", "no me llamen", "revoco mi consentimiento"])
def test_spanish_stop_words_stop_every_lead(body):
    assert classify_sms(body) == "stop"


@pytest.mark.parametrize("body", ["no puedo hablar ahora", "El pago está muy alto", "no me envíe la solicitud todavía",
                                  "cancelar la cita del avalúo", "Para cuándo cierra?", "Baja la tasa?",
                                  "no me llamó ayer", "Está bien, llámeme después de las 5"])
def test_ordinary_spanish_replies_are_not_stops(body):
    assert classify_sms(body) == "none"


def test_spanish_help_and_start():
    assert classify_sms("AYUDA") == classify_sms("ayuda por favor") == "help"
    assert classify_sms("COMENZAR") == "start"
    assert said_in_spanish("ALTO") and said_in_spanish("ayuda") and not said_in_spanish("STOP")


def test_spanish_email_replies_unsubscribe():
    assert is_email_unsubscribe_reply("Re: su préstamo", "Por favor denme de baja")
    assert is_email_unsubscribe_reply("BAJA", "")
    assert is_email_unsubscribe_reply("", "No me envíen más correos\n\nEl lun, 5 ene escribió:\n> hola")
    assert not is_email_unsubscribe_reply("Re: hola", "No puedo hablar ahora, le llamo mañana")


def test_language_on_a_lead():
    assert validate_lead({"first_name": "Ana", "email": "a@b.co"}, NOW)["language"] == "en"
    assert validate_lead({"first_name": "Ana", "email": "a@b.co", "language": "ES"}, NOW)["language"] == "es"
    assert validate_lead({"language": "es"}, NOW, partial=True) == {"language": "es"}
    with pytest.raises(ValidationError) as err:
        validate_lead({"first_name": "Ana", "email": "a@b.co", "language": "fr"}, NOW)
    assert "language" in err.value.fields


@pytest.mark.parametrize("cell,want", [("Spanish", "es"), ("Español", "es"), ("ESPANOL", "es"), ("ES", "es"),
                                       ("SPA", "es"), ("es-US", "es"), ("English", "en"), ("EN", "en"),
                                       ("Inglés", "en"), ("", None)])
def test_preferred_language_cells(cell, want):
    assert parse_language(cell)[0] == want


def test_an_import_row_carries_its_language():
    from chalicelib.domain import los_import as L
    from chalicelib.domain import los_table as T
    from chalicelib.domain.milestones import table

    csv = ("Borrower First Name,Borrower Email,Preferred Language\nLucía,lucia@example.com,Español\n"
           "Tom,tom@example.com,English\nAna,ana@example.com,SPA\n")
    plan = L.plan(T.read_table(csv), L.Rules(today=date(2027, 3, 2), milestones=table({}), default_lo="lo-1"))
    assert [b.get("language") for b in plan.borrowers] == ["es", "en", "es"]
    lead = L.new_lead(plan.borrowers[0], "l-1", NOW, {"import_id": "i", "file": "f.csv"})
    assert lead["language"] == "es"


def test_a_spanish_email_is_spanish_from_subject_to_footer():
    class Tracker:
        def click_url(self, url): return url
        def open_url(self): return "https://t.example/o"
        def unsubscribe_url(self): return "https://t.example/u/tok"

    r = render({"channel": "email", "template": "lead_nurture/thanks_for_reaching_out", "subject": "English"},
               ES, Tracker())
    assert r.subject == "Jacqueline, gracias por escribirnos sobre su compra de vivienda"
    assert "Igualdad de Oportunidades en la Vivienda" in r.text and "Igualdad de Oportunidades" in r.html
    assert "Cancelar la suscripción: https://t.example/u/tok?lang=es" in r.text
    assert '<html lang="es">' in r.html and "Thanks" not in r.text
    assert language_of(r.text.split("\n\n")[1]) == "es"


def test_a_spanish_text_signs_with_alto_and_stays_gsm7():
    r = render({"channel": "sms", "template": "lead_nurture/hello_text"}, ES)
    assert r.text.endswith("Responda ALTO para cancelar")
    assert encoding(r.text) == "gsm7" and segments(r.text) == 1


def test_a_spanish_call_closes_in_spanish_and_an_lo_task_says_spanish():
    voice = render({"channel": "voice", "template": "application_incomplete/finish_reminder_call"}, ES)
    assert "Esta llamada fue de" in voice.text
    task = render({"channel": "task", "template": "lead_nurture/first_call"}, ES)
    assert task.title.endswith("(prefers Spanish)") and task.text.startswith("The borrower prefers Spanish")


def test_no_spanish_version_is_never_sent_in_english():
    with pytest.raises(NotInLanguage):
        render({"channel": "email", "template": "library/leads/fha_loans_explained", "subject": "x"}, ES)


def test_a_spanish_lead_draws_only_items_written_in_spanish():
    library = SEQUENCES["past_client_program"].library
    spanish = in_language(library, "es")
    assert in_language(library, "en") is library
    kept = [i for shelf in spanish.values() for i in shelf]
    assert kept and all(language.has_version(i.channel, i.template, "es") for i in kept)
    assert sum(len(s) for s in spanish.values()) < sum(len(s) for s in library.values())


def test_every_core_step_has_its_spanish_version_and_every_spanish_file_passes_the_checks():
    for seq_id in CORE:
        assert all(language.has_version(c, t, "es") for _, c, t, _ in SEQUENCES[seq_id].templates()), seq_id
    problems = [p for seq in SEQUENCES.values() for p in spanish_problems(seq)]
    assert problems == []


def test_spanish_texts_are_written_without_accents_outside_gsm7():
    for path in (language.TEMPLATES_DIR / "es" / "sms").rglob("*.j2"):
        assert not set(path.read_text()) & set("áíóúÁÍÓÚ"), path


def test_spanish_dates_and_labels():
    assert language.fecha("May 28, 2027") == "28 de mayo de 2027"
    assert language.fecha("March 2029") == "marzo de 2029"
    ctx = language.spanish_context({**SAMPLE, "stage": {"name": "funded", "label": "funded"},
                                    "market": {"as_of": "April 8, 2027", "product": "30-year fixed-rate",
                                               "amount_basis": "your balance"}})
    assert ctx["loan"]["close_date_fmt"] == "28 de mayo de 2027"
    assert ctx["loan"]["purpose_label"] == "compra de vivienda" and ctx["loan"]["type_label"] == "convencional"
    assert ctx["market"] == {"as_of": "8 de abril de 2027", "product": "tasa fija a 30 años",
                             "amount_basis": "su saldo"}
    assert ctx["touch"]["month_name"] == "septiembre" and ctx["touch"]["day_name"] == "miércoles"


def test_reg_z_reads_spanish():
    assert rate_statements_without_apr("La tasa es de 6.5% esta semana.")
    assert rate_statements_without_apr("Seis y medio por ciento: 6.5 por ciento.")
    assert not rate_statements_without_apr("Tasa de 6.5% (APR de 6.7%).")
    assert not rate_statements_without_apr("Una tasa de 6.5% y una tasa de porcentaje anual de 6.7%.")
    assert not rate_statements_without_apr("Con 3.5% de enganche o el 20% del precio.")


def test_keyword_answers_in_spanish():
    stop = language.keyword_text("sms_opt_out", "Lone Star", "Priya", "1", "(512) 555-0140", "p@x.co", "es")
    assert "COMENZAR" in stop and encoding(stop) == "gsm7"
    assert "ALTO" in language.keyword_text("sms_help", "Lone Star", "Priya", "1", "(512)", "p@x.co", "es")


def test_the_simulator_finds_a_message_in_the_wrong_language():
    leads = {"l1": {"lead_id": "l1", "language": "es", "phone": "+15125550100"},
             "l2": {"lead_id": "l2", "phone": "+15125550101"}}
    texts = [("+15125550100", "Hi Ana, it's Priya. I just sent you an e-mail; any questions, text me here."),
             ("+15125550101", "Hi Ana, it's Priya. I just sent you an e-mail; any questions, text me here."),
             ("+15125550100", "Ana, soy Priya. Le envié un correo. ¿Dudas? Conteste este mensaje.")]
    found = wrong_language([], texts, {}, leads)
    assert len(found) == 1 and "l1" in found[0]


def test_personalisation_keeps_the_language_and_its_guards_read_spanish():
    from chalicelib.content.personalise import ask_for, check

    lead = {"first_name": "Ana", "language": "es", "state": "TX"}
    body = "Ana, refinanciar le ahorra unos $231/mes (aprox.). ¿Vemos cifras?"
    ask = ask_for({"channel": "sms"}, body, None, lead, "Priya Natarajan")
    assert ask.language == "es" and "Spanish" in ask.prompt and "usted" in ask.prompt
    assert check(ask, "Ana, refinanciar le ahorra unos $231/mes (aprox.). ¿Quiere que veamos las cifras juntos?")[0]
    assert check(ask, "Ana, refinancing could save you about $231/mo. Want to see the numbers?")[1].startswith(
        "not in the borrower's language")
    assert check(ask, "Ana, refinanciar le ahorra unos $231/mes (aprox.). ¿Vemos las cifras? Es garantizado.")[0] is None
    assert "GSM-7" in check(ask, "Ana, refinanciar le ahorra unos $231/mes (aprox.). ¿Vemos cifras aquí?")[1]
    note = ask_for({"channel": "email"}, "Hola, Ana: ...", "Asunto", lead, "Priya")
    assert check(note, "Me dio mucho gusto saber de su nueva casa en Texas.")[0]
    assert check(note, "Puede ahorrar dos mil dólares.")[0] is None


def test_the_spanish_equity_update_renders_past_reg_z():
    """An LTV is not a rate: the Spanish equity update went out blocked before this (the simulator found it)."""
    home = {"value_fmt": "$455,000", "ltv_fmt": "74%", "equity_fmt": "$116,590", "balance_fmt": "$338,410",
            "paid_down_fmt": "$11,590", "value_basis": "estimated", "as_of_fmt": "April 13, 2027",
            "pmi_date_fmt": "March 2029"}
    r = render({"channel": "email", "template": "library/past_client/equity_update", "subject": "x",
                "data": {"home": home}}, {**ES, "relationship": "past_client"})
    assert "relación préstamo-valor de alrededor de 74%" in r.text and "marzo de 2029" in r.text
