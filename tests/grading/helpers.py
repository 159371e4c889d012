"""HTTP helpers for grading tests: sign in, take the next response, save, submit."""

import re

from tests.conftest import csrf_from, sign_in


def client_for(app, email: str):
    client = app.test_client()
    response = sign_in(client, email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token(client, url: str = "/grading/") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def take_next(client) -> str | None:
    """POST next response; the code of the reading handed out, or None."""
    response = client.post("/grading/next", data={"csrf_token": token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/grading/read/([^/?#]+)$", response.headers["Location"])
    return match.group(1) if match else None


def form_data(ratings: dict, comments: dict | None = None, overall: str = "") -> dict:
    data = {f"rating-{code}": str(level) for code, level in ratings.items()}
    data |= {f"comment-{code}": text for code, text in (comments or {}).items()}
    data["overall"] = overall
    return data


def submit(client, code: str, ratings: dict, comments: dict | None = None, base="/grading/read"):
    data = form_data(ratings, comments) | {"csrf_token": token(client, f"{base}/{code}")}
    return client.post(f"{base}/{code}", data=data)


def all_levels(level: int, codes=("REFL", "THINK", "WWO")) -> dict:
    return dict.fromkeys(codes, level)
