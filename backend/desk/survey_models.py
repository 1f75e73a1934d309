"""Satisfaction (满意度): one table of ratings for closed repairs and complaints (the resident's own, or taken
down by customer service at the revisit), and the company's surveys (满意度调查) to the residents of chosen
estates or buildings, one answer per home."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RatingSubject(models.TextChoices):
    REPAIR = "repair", _("Repair")
    COMPLAINT = "complaint", _("Complaint")


class RatingVia(models.TextChoices):
    RESIDENT = "resident", _("By the resident")
    REVISIT = "revisit", _("At the revisit")


class Rating(models.Model):
    subject = models.CharField(max_length=10, choices=RatingSubject.choices)
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="ratings")
    complaint = models.ForeignKey(
        "desk.Complaint", on_delete=models.CASCADE, null=True, blank=True, related_name="ratings"
    )
    estate = models.ForeignKey("properties.Estate", on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey("properties.ManagementOffice", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=10, choices=RatingVia.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, related_name="+")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["estate", "at"], name="desk_rating_estate")]
        constraints = [
            models.CheckConstraint(condition=Q(score__range=(1, 5)), name="desk_rating_score"),
            models.CheckConstraint(
                condition=(Q(subject="repair", ticket__isnull=False, complaint__isnull=True))
                | Q(subject="complaint", complaint__isnull=False, ticket__isnull=True),
                name="desk_rating_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.score}"


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for answers")
    CLOSED = "closed", _("Ended")


class QuestionKind(models.TextChoices):
    RATING = "rating", _("A rating from 1 to 5")
    CHOICE = "choice", _("One of some choices")
    TEXT = "text", _("Free text")


class Survey(models.Model):
    title = models.CharField(_("title"), max_length=100)
    intro = models.CharField(_("introduction"), max_length=1000, blank=True)
    status = models.CharField(max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    estates = models.ManyToManyField("properties.Estate", related_name="+")
    # Empty: every building of the estates; else only these (each of one of the estates).
    buildings = models.ManyToManyField("properties.Building", related_name="+", blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    created_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class SurveyQuestion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("question"), max_length=200)
    kind = models.CharField(max_length=8, choices=QuestionKind.choices, default=QuestionKind.RATING)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class SurveyResponse(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="+")
    estate = models.ForeignKey("properties.Estate", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "unit"], name="desk_survey_one_per_home")]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.unit_id}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="answers")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    choice = models.CharField(max_length=100, blank=True)
    text = models.CharField(max_length=1000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="desk_survey_one_answer"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__range=(1, 5)), name="desk_survey_score"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"
