"""The service desk's satisfaction data and repair photos in a resident's download and erasure (repair
tickets' and complaints' contacts are in backend/privacy/personal_data.py and erasure.py).

Download: the ratings of their repairs and complaints (their own or taken down at the revisit) and their
survey answers. Erasure: scores stay (the estate's averages and response rates do not move), the words go:
rating comments and free-text survey answers are cleared; the photos they sent with a repair report are
deleted, rows and files; their names and phones are taken out of the descriptions, answers and staff's
timeline notes that stay."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from backend.accounts.models import User
from backend.privacy.registry import ErasureLog, PrivacyPart, Subject, scrub_json, scrub_text, when
from backend.properties.models import Unit

from .models import (
    Complaint,
    ComplaintEvent,
    PhotoStage,
    Rating,
    SurveyAnswer,
    SurveyResponse,
    Ticket,
    TicketEvent,
    TicketPhoto,
)


def _ratings_of(user: User) -> Q:
    return Q(by=user) | Q(ticket__reporter=user) | Q(complaint__complainant=user)


def satisfaction_data(user: User, units: list[Unit]) -> dict[str, Any]:
    ratings = Rating.objects.filter(_ratings_of(user)).select_related("ticket", "complaint").order_by("at", "id")
    responses = (
        SurveyResponse.objects.filter(user=user)
        .select_related("survey", "unit")
        .prefetch_related("answers__question")
        .order_by("submitted_at", "id")
    )
    return {
        "ratings": [
            {
                "of": r.ticket.code if r.ticket else r.complaint.code if r.complaint else "",
                "subject": r.subject,
                "score": r.score,
                "comment": r.comment,
                "via": r.via,
                "at": when(r.at),
            }
            for r in ratings
        ],
        "survey_answers": [
            {
                "survey": s.survey.title,
                "home": str(s.unit),
                "submitted_at": when(s.submitted_at),
                "answers": [
                    {"question": a.question.text, "score": a.score, "choice": a.choice, "text": a.text}
                    for a in sorted(s.answers.all(), key=lambda a: (a.question.position, a.question_id))
                ],
            }
            for s in responses
        ],
    }


def satisfaction_erase(subject: Subject, log: ErasureLog) -> None:
    user = subject.user
    log.count("desk.rating", Rating.objects.filter(_ratings_of(user)).exclude(comment="").update(comment=""))
    log.count("desk.surveyanswer", SurveyAnswer.objects.filter(response__user=user).exclude(text="").update(text=""))
    photos = TicketPhoto.objects.filter(ticket__reporter=user, stage=PhotoStage.INTAKE)
    log.count("desk.ticket_photo_files", log.drop_files(photos, "image"))
    log.count("desk.ticketphoto", photos.delete()[0])
    scrub_text(Ticket.objects.filter(reporter=user), ("description", "location"), subject)
    scrub_text(
        Complaint.objects.filter(complainant=user), ("description", "wanted", "location", "answer", "outcome"), subject
    )
    # Staff's notes on the timeline ("回访: 已致电 139…"), and what the steps recorded with them.
    for events in (
        TicketEvent.objects.filter(ticket__reporter=user),
        ComplaintEvent.objects.filter(complaint__complainant=user),
    ):
        scrub_text(events, ("note",), subject)
        scrub_json(events, "data", subject)


PART = PrivacyPart(
    app="desk",
    collectors={"satisfaction": satisfaction_data},
    erase=satisfaction_erase,
    covers={
        "desk.Rating": frozenset({"by", "comment"}),
        "desk.SurveyResponse": frozenset({"user", "unit"}),
        "desk.SurveyAnswer": frozenset({"text"}),
        "desk.TicketPhoto": frozenset({"image"}),
        "desk.TicketEvent": frozenset({"note"}),
        "desk.ComplaintEvent": frozenset({"note"}),
    },
)
