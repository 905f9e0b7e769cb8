"""Ningju 凝聚: grassroots Party-building work platform."""
