"""Placeholder router, replaced by its module's owner."""

from fastapi import APIRouter

router = APIRouter()
