"""Issue 28 on the local stack: a lead who prefers Spanish gets its first e-mail and text in
Spanish (subject, body, footer, unsubscribe link), ALTO stops texts with a Spanish confirmation,
AYUDA gets the help answer, and an import's "Preferred Language: Español" sets the language."""
import email
import time
from email import policy


def _lead(stack, unique, **extra):
    resp = stack.post("/leads", {"first_name": "María", "state": "TX", "timezone": "America/Chicago", **unique,
                                 "consent": {"email": True, "sms": {"granted": True, "source": "web form",
                                                                    "text": "Acepto recibir mensajes."}}, **extra})
    assert resp.status_code == 201, resp.text
    return resp.json()


def _texts_to(stack, phone) -> list[str]:
    return [m["message"] for m in stack.aws_data()["sns"].get("SMS", []) if m["phone_number"] == phone]


def test_a_spanish_lead_gets_its_first_email_and_text_in_spanish(stack, unique):
    lead = _lead(stack, unique, language="es")
    assert lead["language"] == "es"
    stack.advance(15 * 60)
    mails = [email.message_from_string(raw, policy=policy.default) for raw in stack.mail_to(unique["email"])]
    assert mails, "no first e-mail"
    first = mails[0]
    assert "gracias por escribirnos" in first["Subject"]
    text = first.get_body(preferencelist=("plain",)).get_content()
    html = first.get_body(preferencelist=("html",)).get_content()
    assert "Hola, María:" in text and "Igualdad de Oportunidades en la Vivienda" in text
    assert "Cancelar la suscripción:" in text and "lang=es" in text
    assert 'lang="es"' in html and "Cancele su suscripción" in html
    assert "Thanks for reaching out" not in text and "Unsubscribe:" not in text
    texts = " ".join(_texts_to(stack, unique["phone"]))
    assert "Le envié un correo" in texts and "Responda ALTO para cancelar" in texts
    # the unsubscribe page in Spanish
    link = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Cancelar la suscripción:"))
    page = stack.session.get(link, timeout=30)
    assert page.status_code == 200 and "¿Desea dejar de recibir estos correos?" in page.text


def test_alto_stops_texts_with_a_spanish_confirmation_and_ayuda_helps(stack, unique):
    lead = _lead(stack, unique, language="es")
    stack.settle()
    assert stack.post("/_local/inbound/sms", {"from": unique["phone"], "body": "AYUDA"}).status_code == 202
    fresh = stack.get(f"/leads/{lead['lead_id']}").json()
    assert fresh["consent"]["sms"]["granted"] is True
    assert any(i.get("step") == "keyword_help" for i in stack.timeline(lead["lead_id"]))
    assert stack.post("/_local/inbound/sms", {"from": unique["phone"], "body": "ALTO"}).status_code == 202
    fresh = stack.get(f"/leads/{lead['lead_id']}").json()
    assert fresh["consent"]["sms"]["granted"] is False
    texts = " ".join(_texts_to(stack, unique["phone"]))
    assert "ya no le enviaremos mensajes ni llamadas" in texts and "COMENZAR" in texts


def test_an_english_lead_who_writes_no_me_envie_mas_mensajes_is_stopped(stack, unique):
    lead = _lead(stack, unique)
    assert lead["language"] == "en"
    stack.post("/_local/inbound/sms", {"from": unique["phone"], "body": "No me envíe más mensajes"})
    assert stack.get(f"/leads/{lead['lead_id']}").json()["consent"]["sms"]["granted"] is False


def test_an_import_with_preferred_language_espanol_sets_spanish(stack, unique):
    csv = ("Borrower First Name,Borrower Last Name,Borrower Email,Preferred Language\n"
           f"Lucía,Ramírez,{unique['email']},Español\n")
    resp = stack.session.post(stack.url("/imports"), data=csv.encode(), timeout=60,
                              headers={"Content-Type": "text/csv"})
    assert resp.status_code == 202, resp.text
    import_id = resp.json()["import_id"]
    deadline = time.time() + 60
    while stack.get(f"/imports/{import_id}").json()["status"] != "done" and time.time() < deadline:
        time.sleep(0.3)
    found = [lead for lead in stack.get("/leads?limit=200").json()["items"] if lead.get("email") == unique["email"]]
    assert found and found[0]["language"] == "es"
