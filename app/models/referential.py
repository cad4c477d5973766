"""Référentiel des spécialités en accès dérogatoire (AAC, AAP, CPC)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel


class ReferentialMedicine(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200)
    dci: str = Field(max_length=200)
    pharmaceutical_form: str = Field(max_length=100)
    strength: str = Field(max_length=100)
    status: str = Field(max_length=3)  # AAC, AAP or CPC
    indication: str = Field(default="", max_length=1000)
    laboratory: str = Field(default="", max_length=200)
    granting_criteria: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Each indication: {"code", "label", "status": "en_cours" | "terminee", "criteria": [...]}; the AAC applies
    # per indication, and the whole product stops taking requests once ``ended_on`` has passed.
    indications: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    max_days: int = 365
    prescriber_specialties: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    conditions: str = Field(default="", sa_type=sa.Text)  # prescription and dispensing conditions
    therapeutic_area: str = Field(default="", max_length=100)
    collects_data: bool = False
    report_summaries: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ended_on: date | None = None
    # The PUT-SP as the evaluator sets it (``domain.protocol.Protocol``): follow-up schedule, who may fill the
    # forms, where adverse effects go, the laboratory's report periodicity.
    protocol: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    cpc_until: date | None = None  # a CPC's end (three years, renewable)

    def open_to_aac(self, today: date) -> bool:
        return self.status == "AAC" and (self.ended_on is None or self.ended_on > today)
