"""Helpers the tests share: a report as the kiosk sends it, logging staff in."""
import uuid

DSL_EMAIL, DSL_PASSWORD = "dsl@school.example", "a long test password"


def csrf_from(response):
    """The CSRF token a page put in its form."""
    html = response.get_data(as_text=True)
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def log_in(client, email=DSL_EMAIL, password=DSL_PASSWORD):
    token = csrf_from(client.get("/staff/login"))
    return client.post("/staff/login", data={"email": email, "password": password,
                                             "csrf_token": token})


def a_report(**answers):
    """A submission as the kiosk sends it."""
    return {"client_id": str(uuid.uuid4()),
            "answers": answers or {"safe": ["yes"], "what": ["unkind"], "when": ["today"]}}
