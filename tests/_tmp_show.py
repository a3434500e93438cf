import sys; sys.path.insert(0, "tests")
from test_attachments import *
def test_show(app, case, staff_client):
    attach(staff_client, "a.pdf", PDF)
    r = staff_client.get("/staff/reports/1/attachments/1")
    print(dict(r.headers))
