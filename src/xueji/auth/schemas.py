"""API shapes of sign-in and the current account."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class SignInRequest(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)


class SessionOut(BaseModel):
    token: str
    role: str
    expires_at: dt.datetime


class MeOut(BaseModel):
    username: str
    role: str
    role_label: str
    display_name: str
    region_code: str | None
    school_code: str | None
