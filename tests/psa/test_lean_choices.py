"""A choice field of texts is converted without DRF's lookup, and answers exactly what DRF's would."""

from __future__ import annotations

from rest_framework import serializers

from psa.api import lean


def test_a_text_choice_answers_as_drf_does_without_its_lookup():
    field = serializers.ChoiceField(choices=[("api", "API"), ("email", "E-mail")])
    convert = lean._converter(field)
    assert getattr(convert, "text_first", False)
    for value in ("api", "email", "", "not a choice"):
        assert convert(value) == field.to_representation(value)
    assert convert(7) == field.to_representation(7) == 7  # not a text: DRF's own answer


def test_a_choice_of_numbers_keeps_drfs_conversion():
    field = serializers.ChoiceField(choices=[(1, "One"), (2, "Two")])
    convert = lean._converter(field)
    assert not getattr(convert, "text_first", False)
    assert convert("1") == field.to_representation("1") == 1  # DRF answers the choice, not the text
