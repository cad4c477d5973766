"""Référentiel des spécialités en accès dérogatoire (AAC, AAP, CPC)."""

from __future__ import annotations

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
