"""Helpers that make a test read like what a patient does."""

from __future__ import annotations

from dataclasses import dataclass, field

from bs4 import BeautifulSoup

ADULT_WOMAN = {"who_for": "self", "age_band": "adult_18_64", "sex": "female"}
ADULT_MAN = {"who_for": "self", "age_band": "adult_18_64", "sex": "male"}
NO_RISK = {"risk_group": "none", "second_contact": "no"}


@dataclass
class Patient:
    """Walks a triage through the Flask test client, as a browser without JavaScript would."""

    client: object
    practice: str = "de-linde"
    url: str = ""
    history: list[str] = field(default_factory=list)
    htmx: bool = False

    def start(self, tree: str, emergency: str = "none"):
        return self._post(f"/{self.practice}/triage/{tree}", {"emergency_screen": emergency})

    def answer(self, **values: str):
        return self._post(self.url, values)

    def _post(self, url: str, data: dict):
        headers = {"HX-Request": "true"} if self.htmx else {}
        response = self.client.post(url, data=data, headers=headers)
        location = response.headers.get("Location") or response.headers.get("HX-Push-Url")
        if location:
            self.history.append(location)
            self.url = location
        return response

    def page(self):
        return self.client.get(self.url)

    @property
    def run_id(self) -> str:
        return self.url.split("/")[4]


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(response) -> str:
    return " ".join(soup(response).get_text(" ").split())
