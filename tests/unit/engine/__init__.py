"""Unit tests of dtnetpol.engine (a package so helpers import relatively: ``from .builders``)."""
